"""The executor's plain-leaf path gives exactly what graphql-core's full path gives: the same data, and the
same errors at the same paths when a value is null where none may be, does not coerce, or an item of a list
is null. Each case runs twice: on the executor, and with a resolver middleware, which turns the path off."""

from __future__ import annotations

import enum
import math
from typing import Any

import pytest
import strawberry
from strawberry.extensions import FieldExtension, SchemaExtension

from teslasync.schema.execution import ExecutionContext


@strawberry.enum
class Gear(enum.Enum):
    PARK = "P"
    DRIVE = "D"


@strawberry.type
class Point:
    latitude: float
    longitude: float
    label: str | None = None
    gear: Gear = Gear.PARK
    count: int = 0


@strawberry.type
class Car:
    name: str
    track: list[Point]
    maybe_points: list[Point | None]
    readings: list[float | None] = strawberry.field(default_factory=list)
    gears: list[Gear] = strawberry.field(default_factory=list)

    @strawberry.field
    def loud_name(self, shout: bool = True) -> str:
        return self.name.upper() if shout else self.name

    @strawberry.field
    async def distance(self) -> float:
        return 12.5


CARS: list[Any] = []


@strawberry.type
class Query:
    @strawberry.field
    def cars(self) -> list[Car]:
        return CARS


class PassThrough(SchemaExtension):
    """A resolve hook: graphql-core wraps every resolver, and the executor leaves every field to it."""

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        return _next(root, info, *args, **kwargs)


FAST = strawberry.Schema(Query, execution_context_class=ExecutionContext)
FULL = strawberry.Schema(Query, execution_context_class=ExecutionContext, extensions=[PassThrough])

QUERY = """{ cars {
  name loudName distance
  track { latitude longitude label gear }
  maybePoints { latitude }
} }"""


def car(name: str, track: list[Point], maybe: list[Point | None] | None = None) -> Car:
    return Car(name=name, track=track, maybe_points=maybe if maybe is not None else [])


async def both(query: str) -> tuple[Any, Any]:
    fast, full = await FAST.execute(query), await FULL.execute(query)
    return fast, full


def errors(result: Any) -> list[tuple[str, list[Any]]]:
    return [(error.message, error.path) for error in result.errors or []]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The fields the executor leaves to graphql-core's `execute_field`, as "Type.field", in order."""
    seen: list[str] = []
    original = ExecutionContext.execute_field

    def counting(self: ExecutionContext, parent_type: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(f"{parent_type.name}.{args[1][0].node.name.value}")
        return original(self, parent_type, *args, **kwargs)

    monkeypatch.setattr(ExecutionContext, "execute_field", counting)
    return seen


async def test_the_same_data_both_ways() -> None:
    CARS[:] = [
        car("a", [Point(latitude=52.5, longitude=13.4, label="home"), Point(latitude=1, longitude=2)]),
        car("b", [], [Point(latitude=3.0, longitude=4.0), None]),
    ]
    fast, full = await both(QUERY)
    assert fast.errors is None
    assert fast.data == full.data
    assert fast.data["cars"][0]["track"] == [
        {"latitude": 52.5, "longitude": 13.4, "label": "home", "gear": "PARK"},
        {"latitude": 1.0, "longitude": 2.0, "label": None, "gear": "PARK"},
    ]
    # an int read as a Float is coerced to a float, as graphql-core does
    assert isinstance(fast.data["cars"][0]["track"][1]["latitude"], float)
    assert fast.data["cars"][1]["maybePoints"] == [{"latitude": 3.0}, None]
    assert fast.data["cars"][0]["loudName"] == "A"
    assert fast.data["cars"][0]["distance"] == 12.5


async def test_a_null_where_none_may_be_is_graphql_cores_error_at_its_path() -> None:
    CARS[:] = [car("a", [Point(latitude=1, longitude=2), Point(latitude=None, longitude=2)])]  # type: ignore[arg-type]
    fast, full = await both("{ cars { name track { latitude longitude } } }")
    assert errors(fast) == errors(full)
    assert errors(fast) == [
        ("Cannot return null for non-nullable field Point.latitude.", ["cars", 0, "track", 1, "latitude"])
    ]
    assert fast.data == full.data is None


async def test_a_value_that_does_not_coerce_is_graphql_cores_error_at_its_path() -> None:
    CARS[:] = [car("a", [Point(latitude=math.nan, longitude=2)]), car("b", [])]
    fast, full = await both("{ cars { name track { latitude } } }")
    assert errors(fast) == errors(full)
    assert errors(fast) == [
        ("Float cannot represent non numeric value: nan", ["cars", 0, "track", 0, "latitude"])
    ]


async def test_a_null_item_of_a_list_of_non_null_objects_is_an_error_at_its_index() -> None:
    CARS[:] = [car("a", [Point(latitude=1, longitude=2), None])]  # type: ignore[list-item]
    fast, full = await both("{ cars { track { latitude } } }")
    assert errors(fast) == errors(full)
    assert errors(fast)[0][1] == ["cars", 0, "track", 1]


async def test_a_name_that_does_not_coerce_at_the_object_level() -> None:
    CARS[:] = [car(object(), [])]  # type: ignore[arg-type]
    fast, full = await both("{ cars { name } }")
    assert errors(fast) == errors(full)
    assert errors(fast)[0][0].startswith("String cannot represent value")
    assert errors(fast)[0][1] == ["cars", 0, "name"]


async def test_aliases_typename_and_fragments_on_the_plain_path() -> None:
    CARS[:] = [car("a", [Point(latitude=1.5, longitude=2.5, gear=Gear.DRIVE)])]
    query = """{ cars { track { lat: latitude __typename ...where gear } } }
    fragment where on Point { longitude lat: latitude }"""
    fast, full = await both(query)
    assert fast.errors is None
    assert (
        fast.data
        == full.data
        == {"cars": [{"track": [{"lat": 1.5, "__typename": "Point", "longitude": 2.5, "gear": "DRIVE"}]}]}
    )


async def test_plain_leaves_skip_graphql_cores_field_machinery(calls: list[str]) -> None:
    CARS[:] = [car("a", [Point(latitude=1, longitude=2)] * 3)]
    query = "{ cars { name loudName track { latitude longitude } } }"
    fast = await FAST.execute(query)
    assert fast.errors is None
    # the resolver with an argument and the list go the full way; `name`, the points, and the resolver
    # without arguments (`cars`, called directly) do not
    assert calls == ["Car.loudName", "Car.track"]
    calls.clear()
    full = await FULL.execute(query)
    assert full.data == fast.data
    assert len(calls) == 3 + 1 + 3 * 2


async def test_lists_of_scalars_and_enums_both_ways() -> None:
    CARS[:] = [
        Car(name="a", track=[], maybe_points=[], readings=[1, 2.5, None], gears=[Gear.DRIVE, Gear.PARK])
    ]
    fast, full = await both("{ cars { readings gears } }")
    assert fast.errors is None
    assert fast.data == full.data == {"cars": [{"readings": [1.0, 2.5, None], "gears": ["DRIVE", "PARK"]}]}


async def test_a_bad_item_of_a_list_of_scalars_is_graphql_cores_error_at_its_index() -> None:
    CARS[:] = [
        Car(name="a", track=[], maybe_points=[], readings=[1.0, math.inf], gears=[Gear.DRIVE, None])  # type: ignore[list-item]
    ]
    fast, full = await both("{ cars { readings gears } }")
    assert errors(fast) == errors(full)
    assert sorted(path for _, path in errors(fast)) == [["cars", 0, "gears", 1], ["cars", 0, "readings", 1]]


async def test_values_of_the_exact_type_pass_through_and_the_rest_coerce_as_in_graphql_core() -> None:
    CARS[:] = [
        car(
            "a",
            [
                Point(latitude=1.5, longitude=2, label="x", count=7),
                Point(latitude=True, longitude=-0.0, label=5, count=True),  # type: ignore[arg-type]
                Point(latitude=1e308, longitude=2.5, count=-(2**31)),
            ],
        )
    ]
    query = "{ cars { track { latitude longitude label count } } }"
    fast, full = await both(query)
    assert fast.errors is None
    assert fast.data == full.data
    assert fast.data["cars"][0]["track"] == [
        {"latitude": 1.5, "longitude": 2.0, "label": "x", "count": 7},
        {"latitude": 1.0, "longitude": -0.0, "label": "5", "count": 1},
        {"latitude": 1e308, "longitude": 2.5, "label": None, "count": -(2**31)},
    ]
    assert [type(point["count"]) for point in fast.data["cars"][0]["track"]] == [int, int, int]


async def test_a_float_that_is_not_finite_or_an_int_beyond_32_bits_is_graphql_cores_error() -> None:
    CARS[:] = [
        car(
            "a",
            [
                Point(latitude=math.nan, longitude=1.0),
                Point(latitude=1.0, longitude=math.inf),
                Point(latitude=1.0, longitude=1.0, count=2**31),
            ],
        )
    ]
    fast, full = await both("{ cars { track { latitude longitude count } } }")
    assert errors(fast) == errors(full)
    assert [path for _, path in errors(fast)] == [["cars", 0, "track", 0, "latitude"]]
    assert fast.data is None and full.data is None  # the non-null list of cars takes the error up to the root
    CARS[:] = [car("a", [Point(latitude=1.0, longitude=1.0, count=2**31)])]
    fast, full = await both("{ cars { track { count } } }")
    assert errors(fast) == errors(full)
    assert [path for _, path in errors(fast)] == [["cars", 0, "track", 0, "count"]]
    assert "32-bit" in errors(fast)[0][0]


async def test_a_schema_with_its_own_default_resolver_reads_each_leaf_through_it(calls: list[str]) -> None:
    def read(source: Any, name: str) -> Any:
        return source[name] if isinstance(source, dict) else getattr(source, name)

    @strawberry.type
    class Mapped:
        @strawberry.field
        def points(self) -> list[Point]:
            return [{"latitude": 1.5, "longitude": 2, "label": None, "gear": Gear.DRIVE, "count": 3}]  # type: ignore[list-item]

    from strawberry.schema.config import StrawberryConfig

    fast = strawberry.Schema(
        Mapped, execution_context_class=ExecutionContext, config=StrawberryConfig(default_resolver=read)
    )
    full = strawberry.Schema(Mapped, config=StrawberryConfig(default_resolver=read))
    query = "{ points { latitude longitude label gear count } }"
    fast_result = await fast.execute(query)
    # the points' leaves were read on the plain path, through `read`; `points` was called directly
    assert calls == []
    full_result = await full.execute(query)
    assert fast_result.errors is None
    assert (
        fast_result.data
        == full_result.data
        == {"points": [{"latitude": 1.5, "longitude": 2.0, "label": None, "gear": "DRIVE", "count": 3}]}
    )


# --- objects read as attributes (an edge's node) and objects of lists (a page's edges) ----------------------


@strawberry.type
class Driver:
    name: str

    @strawberry.field
    async def licence(self) -> str:
        if self.name == "no licence":
            raise ValueError("no licence on file")
        return self.name.upper()

    @strawberry.field
    def strict(self) -> str:
        if self.name == "strict":
            raise ValueError("strict refuses")
        return "ok"


@strawberry.type
class Trip:
    driver: Driver
    co_driver: Driver | None = None
    distance: float = 0.0


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Garage(Named):
    trips: list[Trip]


class Shout(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs).upper()


@strawberry.type
class Depot:
    label: str = strawberry.field(extensions=[Shout()])


TRIPS: list[Any] = []


@strawberry.type
class TripQuery:
    @strawberry.field
    def trips(self) -> list[Trip]:
        return TRIPS

    @strawberry.field
    def maybe_trips(self) -> list[Trip | None]:
        return TRIPS

    @strawberry.field
    def garage(self) -> Named:
        return Garage(name="g", trips=TRIPS)

    @strawberry.field
    def depot(self) -> Depot:
        return Depot(label="north")


TRIPS_FAST = strawberry.Schema(TripQuery, types=[Garage], execution_context_class=ExecutionContext)
TRIPS_FULL = strawberry.Schema(
    TripQuery, types=[Garage], execution_context_class=ExecutionContext, extensions=[PassThrough]
)


async def trips_both(query: str) -> tuple[Any, Any]:
    return await TRIPS_FAST.execute(query), await TRIPS_FULL.execute(query)


async def test_objects_and_lists_of_objects_the_same_both_ways() -> None:
    TRIPS[:] = [
        Trip(driver=Driver(name="ada"), co_driver=Driver(name="bo"), distance=3),
        Trip(driver=Driver(name="cy")),
    ]
    query = """{ trips { distance driver { name licence strict } coDriver { name licence } }
    garage { name ... on Garage { trips { driver { name } } } } }"""
    fast, full = await trips_both(query)
    assert fast.errors is None
    assert fast.data == full.data
    assert fast.data["trips"] == [
        {
            "distance": 3.0,
            "driver": {"name": "ada", "licence": "ADA", "strict": "ok"},
            "coDriver": {"name": "bo", "licence": "BO"},
        },
        {"distance": 0.0, "driver": {"name": "cy", "licence": "CY", "strict": "ok"}, "coDriver": None},
    ]
    assert fast.data["garage"] == {
        "name": "g",
        "trips": [{"driver": {"name": "ada"}}, {"driver": {"name": "cy"}}],
    }


async def test_an_error_inside_a_nullable_object_nulls_that_object_at_its_path() -> None:
    TRIPS[:] = [Trip(driver=Driver(name="ada"), co_driver=Driver(name="no licence"))]
    fast, full = await trips_both("{ trips { driver { name } coDriver { name licence } } }")
    assert errors(fast) == errors(full) == [("no licence on file", ["trips", 0, "coDriver", "licence"])]
    assert fast.data == full.data == {"trips": [{"driver": {"name": "ada"}, "coDriver": None}]}


async def test_an_error_inside_a_non_null_object_goes_up_to_the_nearest_nullable_place() -> None:
    TRIPS[:] = [Trip(driver=Driver(name="ada")), Trip(driver=Driver(name="strict"))]
    fast, full = await trips_both("{ maybeTrips { driver { strict } } }")
    assert errors(fast) == errors(full) == [("strict refuses", ["maybeTrips", 1, "driver", "strict"])]
    assert fast.data == full.data == {"maybeTrips": [{"driver": {"strict": "ok"}}, None]}
    # an async resolver's error is taken up the same way once awaited
    TRIPS[:] = [Trip(driver=Driver(name="no licence"))]
    fast, full = await trips_both("{ maybeTrips { driver { licence } } }")
    assert errors(fast) == errors(full) == [("no licence on file", ["maybeTrips", 0, "driver", "licence"])]
    assert fast.data == full.data == {"maybeTrips": [None]}


async def test_a_null_object_where_none_may_be_is_graphql_cores_error() -> None:
    TRIPS[:] = [Trip(driver=None), None]  # type: ignore[arg-type, list-item]
    fast, full = await trips_both("{ maybeTrips { driver { name } } }")
    assert errors(fast) == errors(full)
    assert errors(fast) == [
        ("Cannot return null for non-nullable field Trip.driver.", ["maybeTrips", 0, "driver"])
    ]
    assert fast.data == full.data == {"maybeTrips": [None, None]}


async def test_objects_skip_graphql_cores_field_machinery_but_not_a_field_extension(calls: list[str]) -> None:
    TRIPS[:] = [Trip(driver=Driver(name="ada"), co_driver=Driver(name="bo"))] * 2
    fast = await TRIPS_FAST.execute("{ trips { driver { name licence } coDriver { name } } depot { label } }")
    assert fast.errors is None
    assert fast.data["depot"] == {"label": "NORTH"}  # the extension ran: the field is not a plain read
    # only the extended field went the full way: `driver`, `coDriver` and `name` were read directly, and the
    # resolvers without arguments called directly
    assert calls == ["Depot.label"]


# --- resolvers without arguments, called directly ----------------------------------------------------------


@strawberry.type
class Probe:
    @strawberry.field
    def where(self, info: strawberry.Info) -> str:
        return f"{info.field_name}@{'.'.join(map(str, info.path.as_list()))}:{info.context['who']}"

    @strawberry.field
    def nothing(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    def scale(self) -> float:
        return 1  # an int, coerced to a float as graphql-core does

    @strawberry.field
    def gear(self) -> Gear:
        return Gear.DRIVE

    @strawberry.field
    async def later(self, info: strawberry.Info) -> list[str]:
        return [info.field_name, str(info.path.key)]

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError("broken probe")


@strawberry.type
class ProbeQuery:
    @strawberry.field
    def probes(self) -> list[Probe]:
        return [Probe(), Probe()]


PROBE_FAST = strawberry.Schema(ProbeQuery, execution_context_class=ExecutionContext)
PROBE_FULL = strawberry.Schema(ProbeQuery, execution_context_class=ExecutionContext, extensions=[PassThrough])


async def test_direct_resolvers_get_the_same_info_values_and_errors(calls: list[str]) -> None:
    query = "{ probes { where here: where scale gear later broken } }"
    fast = await PROBE_FAST.execute(query, context_value={"who": "me"})
    assert calls == []  # every resolver was called directly
    full = await PROBE_FULL.execute(query, context_value={"who": "me"})
    assert len(calls) == 1 + 2 * 6
    assert fast.data == full.data
    assert fast.data["probes"][1] == {
        "where": "where@probes.1.where:me",
        "here": "where@probes.1.here:me",
        "scale": 1.0,
        "gear": "DRIVE",
        "later": ["later", "later"],
        "broken": None,
    }
    assert isinstance(fast.data["probes"][0]["scale"], float)
    assert errors(fast) == errors(full)
    assert errors(fast) == [
        ("broken probe", ["probes", 0, "broken"]),
        ("broken probe", ["probes", 1, "broken"]),
    ]


async def test_a_direct_resolvers_null_where_none_may_be_is_graphql_cores_error() -> None:
    fast, full = (
        await PROBE_FAST.execute("{ probes { nothing } }"),
        await PROBE_FULL.execute("{ probes { nothing } }"),
    )
    assert errors(fast) == errors(full)
    assert errors(fast)[0] == (
        "Cannot return null for non-nullable field Probe.nothing.",
        ["probes", 0, "nothing"],
    )
    assert fast.data is None and full.data is None
