"""Local stand-ins for Authsignal and Amazon Cognito.

They speak the services' real wire protocols so that the unmodified SDKs
(boto3, pycognito, ``authsignal``, ``@authsignal/browser``) work against them
with only a base URL changed. The app never imports this package; only its
local-mode wiring does.
"""
