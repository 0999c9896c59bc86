"""Process helpers shared by the integration tests and the benchmarks (bench/): a real Celery
worker subprocess and a local SMTP sink."""
