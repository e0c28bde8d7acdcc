"""What a client needs to know about this server before it draws anything."""

from __future__ import annotations

import strawberry

from teslasync.schema.context import Info


@strawberry.type(description="This server's settings for clients: where map tiles come from.")
class ClientConfig:
    map_tile_url: str | None = strawberry.field(
        description="An XYZ tile URL template with {z}, {x} and {y} (maybe {s} and {r}); null: no tiles, "
        "maps draw on a plain background."
    )
    map_tile_attribution: str | None = strawberry.field(
        description="The credit the tiles' licence asks for, to show on every map."
    )
    map_max_zoom: int = strawberry.field(description="The deepest zoom level the tile server has.")
    demo: bool = strawberry.field(description="The server runs in demo mode with simulated cars.")


@strawberry.type
class ClientQueries:
    @strawberry.field(description="This server's settings for clients (map tiles); anyone may read them.")
    def client_config(self, info: Info) -> ClientConfig:
        settings = info.context.client
        return ClientConfig(
            map_tile_url=settings.map_tile_url,
            map_tile_attribution=settings.map_tile_attribution,
            map_max_zoom=settings.map_max_zoom,
            demo=settings.demo,
        )
