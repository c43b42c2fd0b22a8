"""End-to-end tests of the scaled mode: PostgreSQL + Redis + `runworker engine` + real web servers."""
