"""Where the stateful nodes run: spread across zones, one per host where possible.

Spreading is a preference (`ScheduleAnyway`, preferred anti-affinity), not a demand:
a single-zone or small cluster still runs every node instead of leaving some Pending,
and a multi-zone cluster loses at most a share of the nodes with one zone.
"""

from __future__ import annotations

from typing import Any

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def spread_across_zones(selector: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "maxSkew": 1,
            "topologyKey": ZONE,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector},
        }
    ]


def one_per_host(selector: dict[str, str]) -> dict[str, Any]:
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "topologyKey": HOST,
                        "labelSelector": {"matchLabels": selector},
                    },
                }
            ]
        }
    }
