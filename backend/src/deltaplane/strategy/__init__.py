"""Strategy area: config schemas, pure strangle rules, the state machine, the engine."""
