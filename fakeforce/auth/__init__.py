"""How clients log in: OAuth 2.0 grants, the SOAP login call, sessions and identity documents."""
