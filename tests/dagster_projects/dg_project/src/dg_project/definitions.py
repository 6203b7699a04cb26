from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    # Every module under defs/ is loaded, as `dg scaffold project` writes it.
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(executor=dg.in_process_executor),
    )
