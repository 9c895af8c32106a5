#!/usr/bin/env bash
# Installs one pinned Terraform release for the agent, verified against HashiCorp's signed
# checksums, and puts it first on the job's PATH.
#   install-terraform.sh <version> <tools-dir>
set -euo pipefail

version="${1:?usage: install-terraform.sh <version> <tools-dir>}"
install_dir="${2:?usage: install-terraform.sh <version> <tools-dir>}/terraform/$version"
# HashiCorp's release-signing key (https://www.hashicorp.com/trust/security).
hashicorp_key_fingerprint="C874011F0AB405110D02105534365D9472D7468F"

if [[ ! -x "$install_dir/terraform" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  base="https://releases.hashicorp.com/terraform/$version"
  zip="terraform_${version}_linux_amd64.zip"
  curl -fsSL --retry 3 -o "$work/$zip" "$base/$zip"
  curl -fsSL --retry 3 -o "$work/SHA256SUMS" "$base/terraform_${version}_SHA256SUMS"
  curl -fsSL --retry 3 -o "$work/SHA256SUMS.sig" "$base/terraform_${version}_SHA256SUMS.sig"
  curl -fsSL --retry 3 -o "$work/hashicorp.asc" "https://www.hashicorp.com/.well-known/pgp-key.txt"

  export GNUPGHOME="$work/gnupg"
  mkdir -m 700 "$GNUPGHOME"
  gpg --batch --quiet --import "$work/hashicorp.asc"
  gpg --batch --status-fd 1 --verify "$work/SHA256SUMS.sig" "$work/SHA256SUMS" 2>/dev/null |
    grep -q "VALIDSIG .*$hashicorp_key_fingerprint" || {
    echo "##vso[task.logissue type=error]Terraform $version checksums are not signed by HashiCorp's key"
    exit 1
  }
  (cd "$work" && grep " $zip\$" SHA256SUMS | sha256sum --check --strict -)

  mkdir -p "$install_dir"
  unzip -oq "$work/$zip" terraform -d "$install_dir"
fi

echo "##vso[task.prependpath]$install_dir"
"$install_dir/terraform" version
