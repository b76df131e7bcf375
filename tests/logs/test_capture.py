"""LineBuffer: a byte stream cut into lines, whatever the read boundaries."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from runoff.logs.capture import LineBuffer
from runoff.logs.model import MAX_LINE_BYTES, split_long


def captured(reads: list[bytes]) -> list[bytes]:
    buffer = LineBuffer()
    lines: list[bytes] = []
    for data in reads:
        block = buffer.feed(data)
        if block is not None:
            body, count = block
            assert body.count(b"\n") == count - 1
            lines += body.split(b"\n")
    end = buffer.finish()
    if end is not None:
        lines.append(end[0])
    return lines


def expected(stream: bytes) -> list[bytes]:
    lines = stream.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [piece for line in lines for piece in split_long(line)]


def test_lines_split_across_reads() -> None:
    assert captured([b"he", b"llo\nwor", b"ld\n\n", b"tail"]) == [b"hello", b"world", b"", b"tail"]


def test_long_lines_become_pieces_of_the_maximum() -> None:
    line = b"x" * (MAX_LINE_BYTES * 2 + 5)
    assert captured([line[:7], line[7:] + b"\nnext\n"]) == [
        b"x" * MAX_LINE_BYTES,
        b"x" * MAX_LINE_BYTES,
        b"x" * 5,
        b"next",
    ]


def test_a_piece_ending_exactly_at_the_newline_makes_no_empty_line() -> None:
    line = b"y" * MAX_LINE_BYTES
    assert captured([line, b"\n", b"after\n"]) == [line, b"after"]
    assert captured([line + b"\n" + line, b"\nz\n"]) == [line, line, b"z"]


def test_a_piece_is_published_before_its_line_ends() -> None:
    buffer = LineBuffer()
    assert buffer.feed(b"a" * (MAX_LINE_BYTES + 1)) == (b"a" * MAX_LINE_BYTES, 1)
    assert buffer.partial == b"a"


@given(
    st.lists(
        st.one_of(st.binary(max_size=40), st.integers(0, 25_000).map(lambda n: b"L" * n)),
        max_size=20,
    ),
    st.lists(st.integers(1, 30_000), min_size=1, max_size=10),
)
def test_any_stream_read_in_any_pieces(parts: list[bytes], sizes: list[int]) -> None:
    stream = b"\n".join(parts)
    reads, position, index = [], 0, 0
    while position < len(stream):
        size = sizes[index % len(sizes)]
        reads.append(stream[position : position + size])
        position += size
        index += 1
    assert captured(reads) == expected(stream)
