#!/usr/bin/env bash
# Terraform against AWS: the make targets plan/apply/destroy ENV=<env>,
# bootstrap, org-plan and org-apply (docs/terraform.md has the first-time sequence).
#
#   scripts/terraform/run.sh bootstrap           state bucket + KMS key (local state)
#   scripts/terraform/run.sh org-plan|org-apply  terraform/org, then terraform/org-baseline
#   scripts/terraform/run.sh plan|apply|destroy|output <env>
#   scripts/terraform/run.sh check-env <env>     refuse an environment the configuration lacks
#
# Every root is initialised with its backend.hcl plus the state bucket and KMS
# key (derived from the caller's account, or TF_STATE_BUCKET / TF_STATE_KMS_KEY);
# terraform/environment serves every environment, with its own state key
# (envs/<env>/terraform.tfstate) and variables (-var environment=<env>, envs/<env>.tfvars),
# planned to a file under build/terraform/, and that very plan is applied.
# AUTO_APPROVE=1 skips the confirmation prompt (CI); without a terminal it is required.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TF_DIR="$ROOT/terraform"
PLAN_DIR="$ROOT/build/terraform"
CONFIG="$ROOT/config/platform.yaml"
export TF_IN_AUTOMATION=1
export TF_CLI_CONFIG_FILE="${TF_CLI_CONFIG_FILE:-/dev/null}"

die() { printf 'error: %s\n' "$*" >&2; exit 1; }
say() { printf '\n==> %s\n' "$*" >&2; }

usage() {
  cat >&2 <<USAGE
usage: make plan ENV=<env> | make apply ENV=<env> | make destroy ENV=<env>
       make bootstrap | make org-plan | make org-apply
environments: $(environments | paste -sd' ')
USAGE
  exit 2
}

python() { # the project's interpreter (make setup), else the system one
  if [[ -x "$ROOT/.venv/bin/python" ]]; then "$ROOT/.venv/bin/python" "$@"; else python3 "$@"; fi
}

# The environments of config/platform.yaml, in file order: the one list there is.
environments() {
  (cd "$ROOT" && python -c 'from platform_core.config import load_config; print(*load_config().environments, sep="\n")') \
    || die "could not read the environments of $CONFIG"
}

config_value() { # top-level scalar of config/platform.yaml
  sed -n "s/^$1:[[:space:]]*\\([^#[:space:]]*\\).*/\\1/p" "$CONFIG" | head -1
}

require_terraform() {
  command -v terraform >/dev/null || die "terraform is not on PATH (>= 1.10 needed for S3 native locking)"
  local version
  version="$(terraform version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9.]*\)".*/\1/p')"
  [[ -n "$version" ]] || version="$(terraform version | sed -n '1s/^Terraform v//p')"
  local major minor
  IFS=. read -r major minor _ <<<"$version"
  if (( major < 1 || (major == 1 && minor < 10) )); then
    die "terraform $version is too old: >= 1.10 is needed (S3 backend use_lockfile)"
  fi
}

# Prints the caller's account id, or fails with a clear message.
caller_account() {
  local out
  if command -v aws >/dev/null; then
    if ! out="$(aws sts get-caller-identity --query Account --output text 2>&1)"; then
      die "no usable AWS credentials (aws sts get-caller-identity failed: ${out##*$'\n'}). Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) for the management account."
    fi
  else
    local py="$ROOT/.venv/bin/python"
    [[ -x "$py" ]] || py=python3
    if ! out="$("$py" -c 'import boto3; print(boto3.client("sts").get_caller_identity()["Account"])' 2>&1)"; then
      die "no usable AWS credentials (sts:GetCallerIdentity through boto3 failed: ${out##*$'\n'}). Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for the management account, or install the AWS CLI."
    fi
  fi
  [[ "$out" =~ ^[0-9]{12}$ ]] || die "unexpected answer from sts:GetCallerIdentity: $out"
  printf '%s' "$out"
}

PROJECT="$(config_value project)"
REGION="$(config_value region)"
[[ -n "$PROJECT" && -n "$REGION" ]] || die "could not read project/region from $CONFIG"

state_settings() {
  local account
  account="$(caller_account)"
  STATE_BUCKET="${TF_STATE_BUCKET:-$PROJECT-tfstate-$account}"
  STATE_KMS_KEY="${TF_STATE_KMS_KEY:-arn:aws:kms:$REGION:$account:alias/$PROJECT-tfstate}"
  say "caller account $account, state bucket $STATE_BUCKET"
}

init_root() { # <dir> [extra -backend-config=... args]
  local dir="$1"
  shift
  [[ -f "$dir/backend.hcl" ]] || die "$dir/backend.hcl is missing"
  say "terraform init ($dir)"
  terraform -chdir="$dir" init -input=false -reconfigure \
    -backend-config=backend.hcl "$@" \
    -backend-config="bucket=$STATE_BUCKET" \
    -backend-config="kms_key_id=$STATE_KMS_KEY" \
    -backend-config="region=$REGION" >&2 \
    || die "terraform init failed in $dir. Has 'make bootstrap' been run in this account (bucket $STATE_BUCKET)?"
}

plan_root() { # <dir> <plan-name> [extra terraform plan args...]
  local dir="$1" name="$2"
  shift 2
  mkdir -p "$PLAN_DIR"
  local plan="$PLAN_DIR/$name.tfplan"
  say "terraform plan ($dir) -> ${plan#"$ROOT"/}"
  terraform -chdir="$dir" plan -input=false -out="$plan" "$@" >&2
  printf '%s' "$plan"
}

confirm() { # <question> [expected answer]
  local question="$1" expected="${2:-yes}"
  if [[ "${AUTO_APPROVE:-0}" == 1 ]]; then return 0; fi
  [[ -t 0 ]] || die "no terminal to confirm on: re-run with AUTO_APPROVE=1 to apply the plan above"
  local answer
  read -r -p "$question (type '$expected' to go on): " answer
  [[ "$answer" == "$expected" ]] || die "cancelled"
}

apply_plan() { # <dir> <plan-file>
  say "terraform apply ${2#"$ROOT"/}"
  terraform -chdir="$1" apply -input=false "$2" >&2
}

check_env() { # <env>
  local env="${1:-}" known
  known="$(environments)"
  [[ -n "$env" ]] || { printf 'error: ENV is required, e.g. make plan ENV=%s\n' "${known%%$'\n'*}" >&2; usage; }
  grep -qxF -- "$env" <<<"$known" \
    || die "unknown environment '$env': config/platform.yaml environments are $(paste -sd' ' <<<"$known")"
}

cmd_bootstrap() {
  local dir="$TF_DIR/bootstrap"
  caller_account >/dev/null
  say "terraform init (local state: terraform/bootstrap/terraform.tfstate)"
  terraform -chdir="$dir" init -input=false >&2
  local plan
  plan="$(plan_root "$dir" bootstrap)"
  confirm "Create/update the state bucket and its KMS key"
  apply_plan "$dir" "$plan"
  say "done: every other root now stores its state in $(terraform -chdir="$dir" output -raw state_bucket)"
  say "keep terraform/bootstrap/terraform.tfstate safe (docs/terraform.md)"
}

org_baseline_ready() {
  terraform -chdir="$TF_DIR/org" output -raw organization_id >/dev/null 2>&1
}

cmd_org() { # plan|apply
  local mode="$1"
  state_settings
  init_root "$TF_DIR/org"
  local plan
  plan="$(plan_root "$TF_DIR/org" org)"
  if [[ "$mode" == apply ]]; then
    confirm "Apply the organisation plan above"
    apply_plan "$TF_DIR/org" "$plan"
  fi
  if ! org_baseline_ready; then
    say "terraform/org-baseline: skipped until the organisation exists (run make org-apply)"
    return 0
  fi
  init_root "$TF_DIR/org-baseline"
  plan="$(plan_root "$TF_DIR/org-baseline" org-baseline -var "state_bucket=$STATE_BUCKET")"
  if [[ "$mode" == apply ]]; then
    confirm "Apply the organisation baseline plan above (log archive, trail, GuardDuty)"
    apply_plan "$TF_DIR/org-baseline" "$plan"
  fi
}

cmd_env() { # plan|apply|destroy|output <env>
  local mode="$1" env="${2:-}"
  check_env "$env"
  local dir="$TF_DIR/environment"
  if [[ "$mode" != output ]]; then
    for artifact in "$ROOT/build/lambda/manifest.json" "$ROOT/build/lambda/dependencies-layer.zip" "$ROOT/build/glue/glue_libs.zip"; do
      [[ -f "$artifact" ]] || die "${artifact#"$ROOT"/} is missing: run make package first (make plan/apply do)"
    done
  fi
  # One working directory per environment, so switching ENV never mixes two states.
  export TF_DATA_DIR="$dir/.terraform/env-$env"
  state_settings
  init_root "$dir" "-backend-config=key=envs/$env/terraform.tfstate"
  local vars=(-var "state_bucket=$STATE_BUCKET" -var "environment=$env")
  [[ -f "$dir/envs/$env.tfvars" ]] && vars+=(-var-file "envs/$env.tfvars")
  local plan
  case "$mode" in
    output) # the environment's outputs as JSON (sensitive ones included: API keys)
      terraform -chdir="$dir" output -json
      ;;
    plan)
      plan_root "$dir" "$env" "${vars[@]}" >/dev/null
      say "plan saved; make apply ENV=$env plans again and applies that plan"
      ;;
    apply)
      plan="$(plan_root "$dir" "$env" "${vars[@]}")"
      confirm "Apply the plan above to $env"
      apply_plan "$dir" "$plan"
      terraform -chdir="$dir" output >&2
      ;;
    destroy)
      plan="$(plan_root "$dir" "$env-destroy" -destroy "${vars[@]}")"
      confirm "DESTROY every resource of $env shown above" "$env"
      apply_plan "$dir" "$plan"
      ;;
  esac
}

main() {
  [[ $# -ge 1 ]] || usage
  if [[ "$1" == check-env ]]; then
    check_env "${2:-}"
    return
  fi
  require_terraform
  case "$1" in
    bootstrap) cmd_bootstrap ;;
    org-plan) cmd_org plan ;;
    org-apply) cmd_org apply ;;
    plan | apply | destroy | output) cmd_env "$1" "${2:-}" ;;
    *) usage ;;
  esac
}

main "$@"
