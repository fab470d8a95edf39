"""fakeforce's HTTP face: Starlette routes over the org, Salesforce's status codes and error arrays."""
