"""Accounts: signing in and out, one-time sign-in codes, languages, the `users` command."""
