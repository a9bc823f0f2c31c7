"""Genesys Cloud regions and their domains: the API host is ``api.`` + domain, the login host ``login.`` + domain."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

# PureCloudRegionHosts (Python SDK): region → domain; the API host is ``api.`` + domain, login ``login.`` + domain.
REGION_DOMAINS: Mapping[str, str] = MappingProxyType(
    {
        "us_east_1": "mypurecloud.com",
        "us_east_2": "use2.us-gov-pure.cloud",
        "us_west_2": "usw2.pure.cloud",
        "ca_central_1": "cac1.pure.cloud",
        "sa_east_1": "sae1.pure.cloud",
        "mx_central_1": "mxc1.pure.cloud",
        "eu_west_1": "mypurecloud.ie",
        "eu_west_2": "euw2.pure.cloud",
        "eu_central_1": "mypurecloud.de",
        "eu_central_2": "euc2.pure.cloud",
        "eusc_de_east_1": "edee1.eusc-pure.cloud",
        "me_central_1": "mec1.pure.cloud",
        "ap_south_1": "aps1.pure.cloud",
        "ap_northeast_1": "mypurecloud.jp",
        "ap_northeast_2": "apne2.pure.cloud",
        "ap_northeast_3": "apne3.pure.cloud",
        "ap_southeast_1": "apse1.pure.cloud",
        "ap_southeast_2": "mypurecloud.com.au",
    }
)


def region_domain(region: str) -> str:
    """The domain for a region given as ``us_east_1``, ``us-east-1`` or the domain itself (``mypurecloud.ie``)."""
    text = region.strip().lower()
    domain = REGION_DOMAINS.get(text.replace("-", "_"), text.removeprefix("api.").removeprefix("login."))
    if domain not in REGION_DOMAINS.values():
        raise ValueError(f"unknown Genesys Cloud region: {region}")
    return domain
