"""The compatibility matrix: cell runner, cross-version files, release lists."""
