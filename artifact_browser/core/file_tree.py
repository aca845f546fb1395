"""The file tree of a directory artifact, built from the server's flat listing.

Dioptra's ``/files`` lists files (and empty folders) by relative path, in no
useful order. :func:`build_tree` turns that list into folders and files, folders
first, each sorted by name without regard to case, with every folder's total
size and file count. :func:`filter_tree` keeps the entries that match a filter
text together with the folders that lead to them.

A directory may hold 100,000 files, so the tree is stored as parallel lists
indexed by a node number rather than as one Python object per node: building
is about twice as fast, and the few container objects leave the garbage
collector nothing to walk (a full collection over 100,000 node objects would
stall every thread, the GUI thread included). The tree never changes after it
is built, so one thread may build it while another reads an older one.

Node numbers: the root (the artifact's own folder) is :data:`ROOT`; a parent's
number is always smaller than its children's.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from artifact_browser.api.models import ArtifactFile

ROOT: Final = 0
"""The node number of the tree's root: the directory artifact itself."""

_NO_PARENT: Final = -1


@dataclass(frozen=True, slots=True)
class FileNode:
    """A read-only view of one node, made on request by :meth:`FileTree.node`.

    Attributes:
        id: The node number in its tree.
        name: The last part of the path (``""`` for the root).
        path: The path relative to the artifact, with ``/`` separators (``""`` for the root).
        is_dir: Whether it is a folder.
        size: A file's size; a folder's total over all files below it. None
            for a file whose size the server did not give.
        file_count: Files below a folder (all levels); 1 for a file.
        parent: The parent's node number (-1 for the root).
        row: The position among its parent's children.
        file_url: The server's URL of a file's contents (``""`` for folders).
    """

    id: int
    name: str
    path: str
    is_dir: bool
    size: int | None
    file_count: int
    parent: int
    row: int
    file_url: str

    def to_artifact_file(self) -> ArtifactFile:
        """This node as a listing entry; a folder carries its total size."""
        return ArtifactFile(relative_path=self.path, is_dir=self.is_dir, file_size=self.size, file_url=self.file_url)


class FileTree:
    """Folders and files of one directory artifact; immutable once built.

    Build it with :func:`build_tree`; filter it with :func:`filter_tree`.
    Every accessor takes a node number (see :data:`ROOT`).
    """

    __slots__ = ("_names", "_paths", "_is_dir", "_sizes", "_counts", "_parents", "_rows", "_urls", "_children", "_index")

    def __init__(
        self,
        names: list[str],
        paths: list[str],
        is_dir: list[bool],
        sizes: list[int | None],
        counts: list[int],
        parents: list[int],
        rows: list[int],
        urls: list[str],
        children: dict[int, list[int]],
        index: dict[str, int],
    ) -> None:
        self._names = names
        self._paths = paths
        self._is_dir = is_dir
        self._sizes = sizes
        self._counts = counts
        self._parents = parents
        self._rows = rows
        self._urls = urls
        self._children = children
        self._index = index

    # -- the whole tree ---------------------------------------------------------------

    def __len__(self) -> int:
        """The number of nodes, the root included."""
        return len(self._names)

    @property
    def file_count(self) -> int:
        """The number of files in the tree (folders not counted)."""
        return self._counts[ROOT]

    @property
    def total_size(self) -> int:
        """The bytes of all files (files of unknown size count as 0)."""
        return self._sizes[ROOT] or 0

    def find(self, path: str) -> int | None:
        """The node number of a relative path (``""`` is the root), or None."""
        return self._index.get(path.strip("/"))

    # -- one node ---------------------------------------------------------------------

    def children(self, node: int) -> Sequence[int]:
        """A folder's children in display order (folders first); empty for a file."""
        return self._children.get(node, ())

    def child_count(self, node: int) -> int:
        return len(self._children.get(node, ()))

    def child(self, node: int, row: int) -> int:
        """The node number of a folder's ``row``-th child."""
        return self._children[node][row]

    def parent(self, node: int) -> int:
        """The parent's node number; -1 for the root."""
        return self._parents[node]

    def row(self, node: int) -> int:
        """The node's position among its parent's children (0 for the root)."""
        return self._rows[node]

    def name(self, node: int) -> str:
        return self._names[node]

    def path(self, node: int) -> str:
        return self._paths[node]

    def is_dir(self, node: int) -> bool:
        return self._is_dir[node]

    def size(self, node: int) -> int | None:
        """A file's size, or a folder's total (see :class:`FileNode`)."""
        return self._sizes[node]

    def file_count_of(self, node: int) -> int:
        """Files below a folder, all levels; 1 for a file."""
        return self._counts[node]

    def file_url(self, node: int) -> str:
        return self._urls[node]

    def node(self, node: int) -> FileNode:
        """A read-only record of one node."""
        return FileNode(
            id=node,
            name=self._names[node],
            path=self._paths[node],
            is_dir=self._is_dir[node],
            size=self._sizes[node],
            file_count=self._counts[node],
            parent=self._parents[node],
            row=self._rows[node],
            file_url=self._urls[node],
        )

    def walk(self, node: int = ROOT) -> Iterable[int]:
        """Node numbers below ``node`` (itself first), depth-first in display order."""
        stack = [node]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(reversed(self._children.get(current, ())))


def files_below(tree: FileTree, node: int = ROOT) -> tuple[tuple[str, int], ...]:
    """Every file below ``node`` as ``(path relative to node, size)``: what an extracted folder must hold.

    Files of unknown size count as 0 bytes.
    """
    prefix = tree.path(node)
    cut = len(prefix) + 1 if prefix else 0
    return tuple((tree.path(n)[cut:], tree.size(n) or 0) for n in tree.walk(node) if not tree.is_dir(n))


class _Builder:
    """Collects listing entries into parallel lists, creating folders on the way."""

    def __init__(self) -> None:
        self.names: list[str] = [""]
        self.paths: list[str] = [""]
        self.is_dir: list[bool] = [True]
        self.sizes: list[int | None] = [0]
        self.parents: list[int] = [_NO_PARENT]
        self.urls: list[str] = [""]
        self.children: dict[int, list[int]] = {ROOT: []}
        self.index: dict[str, int] = {"": ROOT}

    def folder(self, path: str) -> int | None:
        """The node of folder ``path``, creating it and its missing ancestors.

        None when the path or one of its ancestors is already a file: an
        inconsistent listing loses that entry rather than breaking the tree.
        """
        node = self.index.get(path)
        if node is not None:
            return node if self.is_dir[node] else None
        parent_path, _, name = path.rpartition("/")
        parent = self.folder(parent_path)
        if parent is None:
            return None
        node = self._add(name, path, True, 0, parent, "")
        self.children[node] = []
        return node

    def files(self, file_paths: list[str], file_sizes: list[int | None], file_urls: list[str]) -> None:
        """Add files given as parallel lists, creating their folders (the hot loop of a build, kept flat).

        Parallel lists of strings and ints rather than one tuple per file: 100,000
        long-lived tuples would wake the cyclic garbage collector, whose full passes
        hold the GIL, and so the GUI thread, for tens of milliseconds.
        """
        names, paths, is_dir, sizes, parents, urls = self.names, self.paths, self.is_dir, self.sizes, self.parents, self.urls
        children, index = self.children, self.index
        for path, size, url in zip(file_paths, file_sizes, file_urls):
            if path in index:
                continue
            parent_path, _, name = path.rpartition("/")
            parent = index.get(parent_path)
            if parent is None or not is_dir[parent]:
                parent = self.folder(parent_path)
                if parent is None:
                    continue
            node = len(names)
            names.append(name)
            paths.append(path)
            is_dir.append(False)
            sizes.append(size)
            parents.append(parent)
            urls.append(url)
            children[parent].append(node)
            index[path] = node

    def _add(self, name: str, path: str, is_dir: bool, size: int | None, parent: int, url: str) -> int:
        node = len(self.names)
        self.names.append(name)
        self.paths.append(path)
        self.is_dir.append(is_dir)
        self.sizes.append(size)
        self.parents.append(parent)
        self.urls.append(url)
        self.children[parent].append(node)
        self.index[path] = node
        return node

    def finish(self) -> FileTree:
        names, is_dir, parents = self.names, self.is_dir, self.parents
        count = len(names)
        rows = [0] * count
        folded = [name.casefold() for name in names]
        for kids in self.children.values():
            # Two stable sorts with C-level keys: by name, then case-insensitively, so
            # "a" < "B" and "Readme" / "readme" keep a fixed order.
            kids.sort(key=names.__getitem__)
            kids.sort(key=folded.__getitem__)
            folders = [k for k in kids if is_dir[k]]
            if folders and len(folders) < len(kids):
                kids[:] = folders + [k for k in kids if not is_dir[k]]
            for row, kid in enumerate(kids):
                rows[kid] = row
        # Parents precede their children, so one backward pass sums every folder.
        sizes = self.sizes
        counts = [0 if d else 1 for d in is_dir]
        for node in range(count - 1, 0, -1):
            parent = parents[node]
            counts[parent] += counts[node]
            size = sizes[node]
            if size:
                sizes[parent] += size  # type: ignore[operator] - folder sizes start at 0
        return FileTree(names, self.paths, is_dir, sizes, counts, parents, rows, self.urls, self.children, self.index)


def build_tree(files: Iterable[ArtifactFile]) -> FileTree:
    """Build the tree of a directory artifact from its ``/files`` listing.

    Args:
        files: Listing entries (files, and folders that are empty), in any order.
            Entries with an empty path (the server's pseudo-entry for a file
            artifact) and repeated paths are ignored.

    Returns:
        The tree: folders before files, each group sorted by name without regard
        to case; folder sizes and file counts summed over all levels.
    """
    builder = _Builder()
    paths: list[str] = []
    sizes: list[int | None] = []
    urls: list[str] = []
    for entry in files:
        path = entry.relative_path.strip("/")
        if not path:
            continue
        if entry.is_dir:
            builder.folder(path)
        else:
            paths.append(path)
            sizes.append(entry.file_size)
            urls.append(entry.file_url)
    builder.files(paths, sizes, urls)
    return builder.finish()


def compile_filter(pattern: str) -> Callable[[str, str], bool] | None:
    """A test ``matches(name, path)`` for a filter text, or None when the text filters nothing.

    Plain text matches as a substring of the relative path (so of the name too),
    ignoring case. Text with ``*`` or ``?`` is a wildcard pattern that must
    match the whole name or the whole path (``*`` also crosses ``/``), as in a
    file manager: ``*.png``, ``pred_01*``, ``batch_0?/pred_1*``.
    """
    text = pattern.strip().casefold()
    if not text:
        return None
    if "*" in text or "?" in text:
        # fnmatch would also read [...] as a set; users of a file filter mean brackets literally.
        regex = re.compile(fnmatch.translate(text.replace("[", "[[]")), re.DOTALL)
        return lambda name, path: regex.match(name.casefold()) is not None or regex.match(path.casefold()) is not None
    return lambda name, path: text in path.casefold()


def filter_tree(tree: FileTree, pattern: str) -> FileTree:
    """The part of ``tree`` that matches ``pattern``, with the folders that lead there.

    A file is kept when it matches (see :func:`compile_filter`); a folder that
    matches is kept with everything in it. Folder sizes and counts in the
    result cover the kept files only. An empty pattern returns ``tree`` itself.
    """
    matches = compile_filter(pattern)
    if matches is None:
        return tree
    keep_all = bytearray(len(tree))  # 1 where a folder matched: its whole subtree stays
    builder = _Builder()
    names, paths, is_dir, parents, sizes, urls = tree._names, tree._paths, tree._is_dir, tree._parents, tree._sizes, tree._urls
    kept: list[int] = []
    # Node numbers grow from parents to children, so a parent's verdict is known first.
    for node in range(1, len(tree)):
        if not (keep_all[parents[node]] or matches(names[node], paths[node])):
            continue
        if is_dir[node]:
            keep_all[node] = 1
            builder.folder(paths[node])
        else:
            kept.append(node)
    builder.files([paths[n] for n in kept], [sizes[n] for n in kept], [urls[n] for n in kept])
    return builder.finish()
