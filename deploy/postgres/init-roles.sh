#!/usr/bin/env bash
# Creates the owner and the service roles (least-privilege.sql) with passwords from the environment.
# For the postgres image, mount it into /docker-entrypoint-initdb.d/ and least-privilege.sql into
# /etc/kindpakket/sql/. Every password must be set; none may be a placeholder.
set -euo pipefail
for name in OWNER REGIE SIGNALLING APPLICATION PROVISION DASHBOARD; do
  variable="KINDPAKKET_PG_${name}_PASSWORD"
  value="${!variable:-}"
  if [ -z "$value" ] || [[ "${value,,}" == change-me* ]]; then
    echo "init-roles: set $variable to a secret of your own" >&2
    exit 1
  fi
done
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  -v owner_password="$KINDPAKKET_PG_OWNER_PASSWORD" \
  -v regie_password="$KINDPAKKET_PG_REGIE_PASSWORD" \
  -v signalling_password="$KINDPAKKET_PG_SIGNALLING_PASSWORD" \
  -v application_password="$KINDPAKKET_PG_APPLICATION_PASSWORD" \
  -v provision_password="$KINDPAKKET_PG_PROVISION_PASSWORD" \
  -v dashboard_password="$KINDPAKKET_PG_DASHBOARD_PASSWORD" \
  -f "${KINDPAKKET_ROLES_SQL:-/etc/kindpakket/sql/least-privilege.sql}"
