"""Signed webhooks to platforms: which events a change emits, signing, delivery and endpoints."""
