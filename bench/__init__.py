"""The benchmark of issue 13: our Flask app and the guide's Amplify SPA, side by side
in the browser and under load (``make bench``; see __main__.py)."""
