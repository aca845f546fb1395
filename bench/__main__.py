"""Run every benchmark: ``python -m bench`` (or ``./dev bench``)."""

from __future__ import annotations

import argparse

from bench import download, gui_file_tree, gui_transfers, gui_window, parse_page, transfers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=512, help="size of the downloaded file artifact")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each client, interleaved")
    parser.add_argument("--only", choices=["parse", "download", "file-tree", "window", "gui-transfers", "transfers"], help="run one benchmark")
    args = parser.parse_args()
    if args.only in (None, "parse"):
        parse_page.main()
    if args.only in (None, "file-tree"):
        gui_file_tree.main()
    if args.only in (None, "window"):
        gui_window.main()
    if args.only in (None, "gui-transfers"):
        gui_transfers.main()
    if args.only in (None, "download"):
        download.main(size_mib=args.size_mib, repeat=args.repeat)
    if args.only in (None, "transfers"):
        transfers.main(size_mib=args.size_mib, repeat=args.repeat)


if __name__ == "__main__":
    main()
