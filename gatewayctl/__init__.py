"""gatewayctl: operator commands for the Parcel Intercept Gateway."""
