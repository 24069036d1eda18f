"""The floor for `letme init`: a bare boto3 paginated Scan of the catalog table, items deserialised, nothing kept.

argv: TABLE. Credentials, region and endpoint come from the environment and the AWS files, as for letme.
"""

import sys

import boto3
from boto3.dynamodb.types import TypeDeserializer

client = boto3.client("dynamodb")
deserialise = TypeDeserializer().deserialize
count = 0
for page in client.get_paginator("scan").paginate(TableName=sys.argv[1]):
    for item in page["Items"]:
        {k: deserialise(v) for k, v in item.items()}
        count += 1
if count == 0:
    sys.exit("bare_scan: the table is empty")
