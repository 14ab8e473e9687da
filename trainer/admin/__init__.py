"""Administration: users, the state of the course content."""
