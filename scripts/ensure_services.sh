#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1; start the local servers if they are installed
# but stopped, otherwise say what is missing and how to get it.
set -u

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { [ "$(printf 'PING\r\n' | timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379; cat >&3; head -c 5 <&3' 2>/dev/null)" = "+PONG" ]; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is stopped; starting the local cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 20); do pg_up && break; sleep 0.5; done
  fi
  pg_up || {
    echo "PostgreSQL does not answer on 127.0.0.1:5432 and no local server is installed."
    echo "Start one with 'docker compose up -d db' or install Debian's postgresql package."
    exit 1
  }
fi

if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "Redis is stopped; starting a local server"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no || true
    for _ in $(seq 20); do redis_up && break; sleep 0.5; done
  fi
  redis_up || {
    echo "Redis does not answer on 127.0.0.1:6379 and no local server is installed."
    echo "Start one with 'docker compose up -d redis' or install Debian's redis-server package."
    exit 1
  }
fi
echo "services: PostgreSQL and Redis answer"

# The development database the benchmarks and `makemigrations --check` talk to (tests make their own).
if command -v psql >/dev/null 2>&1; then
  db="${NOREC_DB_NAME:-norec_network}"
  if ! psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE \"$db\"" && echo "services: created database $db"
  fi
fi
