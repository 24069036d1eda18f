"""One AWS SDK call (sts:GetCallerIdentity) with whatever profile AWS_PROFILE names: what any aws-style tool does."""

import boto3

boto3.client("sts").get_caller_identity()
