"""HTTP routes, thin: check the caller and the body, call the job table, shape the answer."""
