"""The identity document (``/id/{org}/{user}``) and OpenID Connect userinfo of a logged-in user."""

from __future__ import annotations

from typing import Any

from ..org import Org


def _urls(base_url: str, org: Org, user_id: str, version: str | None) -> dict[str, str]:
    v = version or "{version}"
    org15 = org.org_id[:15]
    return {
        "enterprise": f"{base_url}/services/Soap/c/{v}/{org15}",
        "metadata": f"{base_url}/services/Soap/m/{v}/{org15}",
        "partner": f"{base_url}/services/Soap/u/{v}/{org15}",
        "rest": f"{base_url}/services/data/v{v}/",
        "sobjects": f"{base_url}/services/data/v{v}/sobjects/",
        "search": f"{base_url}/services/data/v{v}/search/",
        "query": f"{base_url}/services/data/v{v}/query/",
        "recent": f"{base_url}/services/data/v{v}/recent/",
        "profile": f"{base_url}/{user_id}",
        "feeds": f"{base_url}/services/data/v{v}/chatter/feeds",
        "users": f"{base_url}/services/data/v{v}/chatter/users",
        "custom_domain": base_url,
    }


def identity(org: Org, user_id: str, base_url: str, version: str | None = None) -> dict[str, Any]:
    user = org.user(user_id)
    return {
        "id": f"{base_url}/id/{org.org_id}/{user_id}",
        "asserted_user": True,
        "user_id": user_id,
        "organization_id": org.org_id,
        "username": user.get("Username"),
        "nick_name": user.get("CommunityNickname"),
        "display_name": user.get("Name"),
        "email": user.get("Email"),
        "email_verified": True,
        "first_name": user.get("FirstName"),
        "last_name": user.get("LastName"),
        "timezone": user.get("TimeZoneSidKey"),
        "photos": {"picture": f"{base_url}/profilephoto/005/F", "thumbnail": f"{base_url}/profilephoto/005/T"},
        "addr_street": None, "addr_city": None, "addr_state": None, "addr_country": None, "addr_zip": None,
        "mobile_phone": user.get("MobilePhone"),
        "mobile_phone_verified": False,
        "is_lightning_login_user": False,
        "status": {"created_date": None, "body": None},
        "urls": _urls(base_url, org, user_id, version),
        "active": bool(user.get("IsActive", True)),
        "user_type": "STANDARD",
        "language": user.get("LanguageLocaleKey", "en_US"),
        "locale": user.get("LocaleSidKey", "en_US"),
        "utcOffset": 0,
        "last_modified_date": user.get("LastModifiedDate"),
        "is_app_installed": True,
    }


def userinfo(org: Org, user_id: str, base_url: str) -> dict[str, Any]:
    user = org.user(user_id)
    return {
        "sub": f"{base_url}/id/{org.org_id}/{user_id}",
        "user_id": user_id,
        "organization_id": org.org_id,
        "preferred_username": user.get("Username"),
        "nickname": user.get("CommunityNickname"),
        "name": user.get("Name"),
        "email": user.get("Email"),
        "email_verified": True,
        "given_name": user.get("FirstName"),
        "family_name": user.get("LastName"),
        "zoneinfo": user.get("TimeZoneSidKey"),
        "photos": {"picture": f"{base_url}/profilephoto/005/F", "thumbnail": f"{base_url}/profilephoto/005/T"},
        "profile": f"{base_url}/{user_id}",
        "picture": f"{base_url}/profilephoto/005/F",
        "address": {},
        "urls": _urls(base_url, org, user_id, None),
        "active": bool(user.get("IsActive", True)),
        "user_type": "STANDARD",
        "language": user.get("LanguageLocaleKey", "en_US"),
        "locale": user.get("LocaleSidKey", "en_US"),
        "utcOffset": 0,
        "updated_at": user.get("LastModifiedDate"),
    }
