"""The durable task engine: timed transitions stored in the database and run by a worker."""
