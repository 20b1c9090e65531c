#!/usr/bin/env bash
# The AWS CLI workflow that `credswap assume` replaces
# (../shared/seeds/003_fcee342cc4bc3fae.txt): assume the role with the AWS
# CLI, then store the three credentials in the target section of the shared
# credentials file with three `aws configure set` calls.
#
# usage: awscli-assume.sh AWS ROLE_ARN SOURCE_PROFILE TARGET_PROFILE ENDPOINT_URL
#
# Only bash builtins run besides the four aws calls (no jq, no date), so the
# workflow is timed at its cheapest.
set -euo pipefail
aws=$1 role_arn=$2 source=$3 target=$4 endpoint=$5

creds=$("$aws" sts assume-role --role-arn "$role_arn" --role-session-name "cli-bench-$EPOCHSECONDS" \
  --profile "$source" --endpoint-url "$endpoint" --query Credentials --output json)

re='"AccessKeyId": *"([^"]*)"'
[[ $creds =~ $re ]] && ak=${BASH_REMATCH[1]}
re='"SecretAccessKey": *"([^"]*)"'
[[ $creds =~ $re ]] && sk=${BASH_REMATCH[1]}
re='"SessionToken": *"([^"]*)"'
[[ $creds =~ $re ]] && st=${BASH_REMATCH[1]}

"$aws" configure set --profile "$target" aws_access_key_id "$ak"
"$aws" configure set --profile "$target" aws_secret_access_key "$sk"
"$aws" configure set --profile "$target" aws_session_token "$st"
