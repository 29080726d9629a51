"""Adding a carrier touches only its own package, its simulator module and its tests.

No gateway module outside `chalicelib/carriers/<code>/` and `simulator/<code>.py` names a declared
code: not as a string (`"zto"`), not as a `Carrier` member (`Carrier.zto`), not by importing the
carrier's modules. Everything that needs the list of carriers reads the declarations. The one
exception is policy data: Kuaishou's own carrier set.

Outside this check: tests/ and docs/ (they name carriers on purpose), and bench/, whose scenarios
pick the carriers they exercise.
"""
import ast
import subprocess
from collections import Counter
from pathlib import Path

from chalicelib.carriers import declarations

ROOT = Path(__file__).resolve().parents[2]
CODES = frozenset(declarations())
GATEWAY_CODE = ("app.py", "chalicelib", "gatewayctl", "infra", "local", "simulator")
#: (file, what it names) -> how often: Kuaishou's carriers in its policy
ALLOWED = Counter({("chalicelib/rules/policies.py", f"Carrier.{code}"): 1 for code in ("zto", "yto", "sto", "jt")})


def names_of_carriers(source: str) -> list[str]:
    """Each place in `source` that names a declared carrier, as the name it uses."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and node.value in CODES:
            found.append(repr(node.value))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Carrier" \
                and node.attr in CODES:
            found.append(f"Carrier.{node.attr}")
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _carrier_module(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module] if _carrier_module(node.module) else \
                [f"{node.module}.{alias.name}" for alias in node.names]
            found += [module for module in modules if _carrier_module(module)]
    return found


def _carrier_module(module: str) -> bool:
    parts = module.split(".")
    return (parts[:2] == ["chalicelib", "carriers"] and len(parts) > 2 and parts[2] in CODES) or \
        (parts[0] == "simulator" and len(parts) > 1 and parts[1] in CODES)


def _own(path: str) -> bool:
    """A carrier's own package or simulator module."""
    parts = Path(path).parts
    return (parts[:2] == ("chalicelib", "carriers") and len(parts) > 3 and parts[2] in CODES) or \
        (parts[0] == "simulator" and len(parts) == 2 and Path(parts[1]).stem in CODES)


def gateway_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *GATEWAY_CODE],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
    return [path for path in listed if path.endswith(".py") and not _own(path) and (ROOT / path).exists()]


def test_no_gateway_module_lists_carriers_beyond_the_declarations():
    named = Counter((path, name) for path in gateway_files()
                    for name in names_of_carriers((ROOT / path).read_text(encoding="utf-8")))
    assert named - ALLOWED == Counter(), "read chalicelib.carriers.declarations() instead of naming carriers"
    assert ALLOWED - named == Counter(), "Kuaishou's policy no longer names its carriers; update ALLOWED"


def test_the_check_finds_a_re_listing():
    relisted = ('from chalicelib.carriers import zto\nfrom simulator.sf import SfCarrier\n'
                'import chalicelib.carriers.kuaidi100.protocol\n'
                'PRICES = {Carrier.sf: 800}\nCARRIERS = ["zto", "yto"]\nlabel = "zto express"\n')
    assert sorted(names_of_carriers(relisted)) == sorted([
        "chalicelib.carriers.zto", "simulator.sf", "chalicelib.carriers.kuaidi100.protocol", "Carrier.sf", "'zto'",
        "'yto'"])


def test_a_carriers_own_package_and_simulator_module_are_its_own():
    assert _own("chalicelib/carriers/zto/protocol.py") and _own("simulator/kuaidi100.py")
    assert not _own("chalicelib/carriers/common.py") and not _own("simulator/server.py")
