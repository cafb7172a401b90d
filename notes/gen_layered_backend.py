"""Generate a ~1,000-file layered FastAPI backend for timing the layer pass.

Usage: python3 notes/gen_layered_backend.py /tmp/gen1000
Then: fortress check /tmp/gen1000 --isolated --select SYN001 -q   (baseline)
      fortress check /tmp/gen1000 --isolated --select LAY,ASY001 -q

  python3 notes/gen_layered_backend.py ROOT --copies K [--domains D]

writes K copies of the backend into one project, as the packages `app0` ..
`app{K-1}` (each imports only itself), with D domains each (default 40:
5 * 5 * D + 7 files a copy). `scripts/bench.sh --scale` times 1 copy
against 10.
"""

import argparse
import os
import random
import shutil

parser = argparse.ArgumentParser()
parser.add_argument("root")
parser.add_argument("--copies", type=int, default=0, help="packages app0..app{K-1} (default: one `app`)")
parser.add_argument("--domains", type=int, default=40)
args = parser.parse_args()
root = args.root
shutil.rmtree(root, ignore_errors=True)
domains = [f"d{i:03d}" for i in range(args.domains)]
count = 0


def write(path, text):
    global count
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    count += 1


os.makedirs(root)
with open(f"{root}/pyproject.toml", "w") as f:
    f.write('[project]\nname = "gen"\n')


def backend(app):
    """One copy of the backend, as the package `app`."""
    random.seed(7)
    write(f"{root}/{app}/__init__.py", "")
    for package in ["api", "api/routes", "services", "repositories", "models", "schemas"]:
        write(f"{root}/{app}/{package}/__init__.py", "")
    for d in domains:
        for j in range(5):
            name = f"{d}_{j}"
            fields = "\n".join(f"    f{k}: Mapped[int]" for k in range(20))
            write(
                f"{root}/{app}/models/{name}.py",
                "from sqlalchemy.orm import Mapped, mapped_column\n"
                f"from {app}.models.{domains[0]}_0 import Base\n\n\n"
                f"class M{name}(Base):\n"
                f'    __tablename__ = "{name}"\n'
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
                f"{fields}\n",
            )
            fields = "\n".join(f"    f{k}: int = 0" for k in range(20))
            write(
                f"{root}/{app}/schemas/{name}.py",
                f"from pydantic import BaseModel\n\n\nclass S{name}(BaseModel):\n    id: int\n{fields}\n",
            )
            other = random.choice(domains)
            methods = "".join(
                f"\n    async def get{k}(self, id: int) -> M{name} | None:\n"
                f"        return await self.session.scalar(select(M{name}).where(M{name}.id == id + {k}))\n"
                for k in range(10)
            )
            write(
                f"{root}/{app}/repositories/{name}.py",
                "from sqlalchemy import select\n"
                "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
                f"from {app}.models.{name} import M{name}\n"
                f"from {app}.models.{other}_{j} import M{other}_{j}\n\n\n"
                f"class R{name}:\n"
                "    def __init__(self, session: AsyncSession) -> None:\n"
                "        self.session = session\n"
                f"{methods}",
            )
            methods = "".join(
                f"\n    async def op{k}(self, id: int) -> S{name}:\n"
                f"        row = await self.repo.get{k}(id)\n"
                "        if row is None:\n"
                "            raise LookupError(id)\n"
                f"        return S{name}.model_validate(row)\n"
                for k in range(10)
            )
            write(
                f"{root}/{app}/services/{name}.py",
                f"from {app}.repositories.{name} import R{name}\n"
                f"from {app}.schemas.{name} import S{name}\n"
                f"from {app}.services.{random.choice(domains)}_{(j + 1) % 5} import *\n\n\n"
                f"class Svc{name}:\n"
                f"    def __init__(self, repo: R{name}) -> None:\n"
                "        self.repo = repo\n"
                f"{methods}",
            )
            handlers = "".join(
                f'\n\n@router.get("/{k}/{{id}}")\n'
                f"async def get{k}(id: int, svc: Annotated[Svc{name}, Depends()]) -> S{name}:\n"
                f"    return await svc.op{k}(id)\n"
                for k in range(10)
            )
            write(
                f"{root}/{app}/api/routes/{name}.py",
                "from typing import Annotated\n\n"
                "from fastapi import APIRouter, Depends\n\n"
                f"from {app}.schemas.{name} import S{name}\n"
                f"from {app}.services.{name} import Svc{name}\n\n"
                f'router = APIRouter(prefix="/{name}")\n'
                f"{handlers}",
            )


for app in [f"app{i}" for i in range(args.copies)] if args.copies else ["app"]:
    backend(app)
print(count, "files in", root)
