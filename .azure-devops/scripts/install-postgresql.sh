#!/usr/bin/env bash
# Installs the PostgreSQL server binaries the spark tests start (/usr/lib/postgresql/<major>/bin).
# Ubuntu 24.04 ships only PostgreSQL 16, so other majors come from the PostgreSQL project's apt
# repository (PGDG). The tests run their own server on a free port, so no cluster is created.
#   install-postgresql.sh <major>
set -euo pipefail

major="${1:?usage: install-postgresql.sh <major>}"
if [[ -x "/usr/lib/postgresql/$major/bin/initdb" ]]; then
  echo "PostgreSQL $major is already installed"
  exit 0
fi

keyring=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc
sudo install -d "$(dirname "$keyring")"
sudo curl -fsSL --retry 3 -o "$keyring" https://www.postgresql.org/media/keys/ACCC4CF8.asc
codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
echo "deb [signed-by=$keyring] https://apt.postgresql.org/pub/repos/apt $codename-pgdg main" |
  sudo tee /etc/apt/sources.list.d/pgdg.list >/dev/null

sudo install -d /etc/postgresql-common
echo "create_main_cluster = false" | sudo tee -a /etc/postgresql-common/createcluster.conf >/dev/null
sudo apt-get update -q
sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "postgresql-$major"
"/usr/lib/postgresql/$major/bin/initdb" --version
