"""Parcel Intercept Gateway: domain, rules, carriers and storage behind the Chalice app."""
