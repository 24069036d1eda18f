"""The floor for a fresh 3-hop `letme use`: the same AssumeRole calls in a bare boto3 script.

argv: SESSION_JSON ROLE_ARN... The session file holds an MFA session (GetSessionToken output) made once at
set-up, as letme keeps its MFA session cached; each hop uses the previous hop's credentials.
"""

import json
import sys

import boto3

with open(sys.argv[1]) as fh:
    creds = json.load(fh)
for hop, role in enumerate(sys.argv[2:], start=1):
    sts = boto3.client("sts", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    creds = sts.assume_role(RoleArn=role, RoleSessionName=f"bench-hop{hop}", DurationSeconds=3600)["Credentials"]
