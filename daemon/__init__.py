"""syncd: the sync service between a customer-care platform and a Salesforce org.

One direction of data: api -> journal -> rules -> outbox -> sender -> Salesforce. Events are
acknowledged only after they are committed to SQLite; operations leave the outbox only when
Salesforce has confirmed them.
"""

__version__ = "0.1.0"
