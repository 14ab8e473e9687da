"""Quizzes: drawing attempts from a bank, grading on the server, attempt limits."""
