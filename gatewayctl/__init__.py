"""gatewayctl: operate the Parcel Intercept Gateway, locally or on AWS."""
