"""The one batching shape of our loaders: keys are (vehicle id, request); the vehicles that share a request
are fetched together, in one statement per distinct request however many vehicles a query lists."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Protocol, TypeVar

from strawberry.dataloader import DataLoader

Request = TypeVar("Request", bound=Hashable)
Result = TypeVar("Result")
Item = TypeVar("Item", bound="HasVehicle")


class HasVehicle(Protocol):
    @property
    def vehicle_id(self) -> int: ...


def per_vehicle(
    fetch: Callable[[Request, list[int]], Awaitable[Mapping[int, Result]]], missing: Callable[[], Result]
) -> DataLoader[tuple[int, Request], Result]:
    """`fetch(request, vehicle_ids)` gives each vehicle's result; a vehicle it leaves out gets `missing()`."""

    async def load(keys: list[tuple[int, Request]]) -> list[Result]:
        by_request: dict[Request, list[int]] = {}
        for vehicle_id, request in keys:
            by_request.setdefault(request, []).append(vehicle_id)
        found: dict[tuple[int, Request], Result] = {}
        for request, vehicle_ids in by_request.items():
            results = await fetch(request, vehicle_ids)
            for vehicle_id in vehicle_ids:
                found[(vehicle_id, request)] = results[vehicle_id] if vehicle_id in results else missing()
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def by_vehicle(items: Iterable[Item]) -> dict[int, list[Item]]:
    grouped: dict[int, list[Item]] = {}
    for item in items:
        grouped.setdefault(item.vehicle_id, []).append(item)
    return grouped
