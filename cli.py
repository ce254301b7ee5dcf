"""Thin entry point: ``python cli.py COMMAND …`` runs the same CLI as ``culture-logistics``."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from culture_logistics.cli.main import main  # noqa: E402

if __name__ == "__main__":
    main()
