"""Use-cases: load rows, call the engine, persist. Services flush; the caller commits once."""
