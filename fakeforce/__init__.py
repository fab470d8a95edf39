"""fakeforce: a Salesforce org in a process.

Real clients (simple-salesforce, jsforce, plain HTTP) talk to it as to an org. The
in-process entry points are :class:`fakeforce.org.Org` (the backend model) and
:class:`fakeforce.server.FakeforceServer` (the HTTP server in a thread).
"""

__version__ = "0.1.0"
API_VERSIONS = [f"{major}.0" for major in range(31, 68)]
"""Every REST API version the server answers, oldest first (Summer '14 to Summer '26)."""
LATEST_API_VERSION = API_VERSIONS[-1]
