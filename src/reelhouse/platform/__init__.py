"""What every app stands on: data, auth, events, errors. The platform imports no app."""
