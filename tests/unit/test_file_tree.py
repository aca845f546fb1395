"""The file tree of a directory artifact: order, sums, counts and the filter."""

from __future__ import annotations

import pytest

from artifact_browser.api import ArtifactFile
from artifact_browser.core.file_tree import ROOT, FileTree, build_tree, compile_filter, filter_tree


def entry(path: str, size: int | None = 1, *, is_dir: bool = False) -> ArtifactFile:
    url = "" if is_dir else f"/api/v1/artifacts/7/contents?path={path}"
    return ArtifactFile(relative_path=path, is_dir=is_dir, file_size=None if is_dir else size, file_url=url)


def names(tree: FileTree, node: int = ROOT) -> list[str]:
    return [tree.name(child) for child in tree.children(node)]


def paths_below(tree: FileTree) -> list[str]:
    """Every path in display order, folders marked with a trailing slash."""
    return [tree.path(n) + ("/" if tree.is_dir(n) else "") for n in tree.walk() if n != ROOT]


LISTING = [
    entry("zeta.txt", 5),
    entry("Alpha.txt", 7),
    entry("beta/one.bin", 100),
    entry("beta/Two.bin", 200),
    entry("beta/deeper/three.json", 30),
    entry("alpha/x.csv", 11),
    entry("cache", is_dir=True),
    entry("README", 3),
]


def test_folders_come_first_then_files_each_sorted_without_regard_to_case() -> None:
    tree = build_tree(LISTING)
    assert names(tree) == ["alpha", "beta", "cache", "Alpha.txt", "README", "zeta.txt"]
    beta = tree.find("beta")
    assert names(tree, beta) == ["deeper", "one.bin", "Two.bin"]


def test_folder_sizes_and_counts_sum_every_level() -> None:
    tree = build_tree(LISTING)
    beta = tree.find("beta")
    assert tree.size(beta) == 330
    assert tree.file_count_of(beta) == 3
    assert tree.size(tree.find("beta/deeper")) == 30
    assert tree.file_count_of(tree.find("beta/deeper")) == 1
    assert tree.file_count == 7
    assert tree.total_size == 5 + 7 + 100 + 200 + 30 + 11 + 3


def test_an_empty_folder_has_no_files_and_size_zero() -> None:
    tree = build_tree(LISTING)
    cache = tree.find("cache")
    assert tree.is_dir(cache)
    assert tree.child_count(cache) == 0
    assert (tree.size(cache), tree.file_count_of(cache)) == (0, 0)


def test_parent_and_row_lead_back_to_each_node() -> None:
    tree = build_tree(LISTING)
    for node in tree.walk():
        if node == ROOT:
            assert tree.parent(node) == -1
            continue
        parent = tree.parent(node)
        assert tree.child(parent, tree.row(node)) == node
        assert parent < node  # the order the lazy model and the filter rely on


def test_nodes_describe_files_and_folders() -> None:
    tree = build_tree(LISTING)
    file_node = tree.node(tree.find("beta/deeper/three.json"))
    assert (file_node.name, file_node.is_dir, file_node.size, file_node.file_count) == ("three.json", False, 30, 1)
    assert file_node.to_artifact_file() == entry("beta/deeper/three.json", 30)
    folder = tree.node(tree.find("beta")).to_artifact_file()
    assert (folder.relative_path, folder.is_dir, folder.file_size, folder.file_url) == ("beta", True, 330, "")


def test_the_servers_pseudo_entry_repeats_and_slashes_are_tolerated() -> None:
    tree = build_tree([entry("", is_dir=True), entry("a/b.txt", 2), entry("a/b.txt", 2), entry("/a/c.txt/", 4)])
    assert paths_below(tree) == ["a/", "a/b.txt", "a/c.txt"]
    assert tree.total_size == 6


def test_a_path_used_both_as_file_and_folder_keeps_the_first_and_does_not_break() -> None:
    tree = build_tree([entry("x", 1), entry("x/y", 2)])
    assert paths_below(tree) == ["x"]


def test_unknown_file_sizes_count_as_files_but_add_no_bytes() -> None:
    tree = build_tree([entry("d/a", None), entry("d/b", 5)])
    d = tree.find("d")
    assert (tree.size(d), tree.file_count_of(d)) == (5, 2)
    assert tree.size(tree.find("d/a")) is None


def test_an_empty_listing_is_an_empty_root() -> None:
    tree = build_tree([])
    assert len(tree) == 1
    assert (tree.file_count, tree.total_size, tree.child_count(ROOT)) == (0, 0, 0)


# -- filter -------------------------------------------------------------------------


def test_filter_keeps_matching_files_with_their_folders() -> None:
    tree = filter_tree(build_tree(LISTING), "THREE")
    assert paths_below(tree) == ["beta/", "beta/deeper/", "beta/deeper/three.json"]
    assert tree.size(tree.find("beta")) == 30  # sums cover what is kept
    assert tree.file_count == 1


def test_a_matching_folder_keeps_everything_in_it() -> None:
    tree = filter_tree(build_tree(LISTING), "deeper")
    assert paths_below(tree) == ["beta/", "beta/deeper/", "beta/deeper/three.json"]
    tree = filter_tree(build_tree(LISTING), "bet?")  # a wildcard matching the folder's name
    assert tree.file_count == 3


def test_filter_text_matches_anywhere_in_the_path() -> None:
    tree = filter_tree(build_tree(LISTING), "alpha")
    assert paths_below(tree) == ["alpha/", "alpha/x.csv", "Alpha.txt"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*.bin", ["beta/", "beta/one.bin", "beta/Two.bin"]),
        ("t*", ["beta/", "beta/deeper/", "beta/deeper/three.json", "beta/Two.bin"]),
        ("beta/*.json", ["beta/", "beta/deeper/", "beta/deeper/three.json"]),
        ("*z*", ["zeta.txt"]),
    ],
)
def test_wildcards_match_a_whole_name_or_path(pattern: str, expected: list[str]) -> None:
    assert paths_below(filter_tree(build_tree(LISTING), pattern)) == expected


def test_brackets_are_literal_not_a_character_set() -> None:
    tree = build_tree([entry("run[1]/a.txt"), entry("run1/b.txt")])
    assert paths_below(filter_tree(tree, "run[1]*")) == ["run[1]/", "run[1]/a.txt"]


def test_an_empty_filter_is_the_tree_itself_and_no_match_is_an_empty_tree() -> None:
    tree = build_tree(LISTING)
    assert filter_tree(tree, "  ") is tree
    assert compile_filter("") is None
    nothing = filter_tree(tree, "no such thing")
    assert (len(nothing), nothing.file_count) == (1, 0)


def test_a_matching_empty_folder_is_kept() -> None:
    assert paths_below(filter_tree(build_tree(LISTING), "cach")) == ["cache/"]


def test_filtering_leaves_the_original_tree_untouched() -> None:
    tree = build_tree(LISTING)
    before = paths_below(tree), tree.total_size
    filter_tree(tree, "three")
    assert (paths_below(tree), tree.total_size) == before


def test_a_large_listing_builds_with_every_file_in_place() -> None:
    files = [entry(f"b{i % 7}/s{i % 13}/f{i:05d}.json", i) for i in range(20_000)]
    tree = build_tree(files)
    assert tree.file_count == 20_000
    assert tree.total_size == sum(range(20_000))
    assert names(tree) == [f"b{i}" for i in range(7)]
    first = tree.find("b0/s0")
    assert names(tree, first)[:2] == ["f00000.json", "f00091.json"]
