"""Spark settings that follow the input (bank_etl/session.py)."""

from __future__ import annotations

from bank_etl.session import shuffle_partitions_for

MIB = 1 << 20


def test_shuffle_partitions_are_one_wave_of_the_cores_for_a_small_input():
    assert shuffle_partitions_for(42 * MIB, 2) == 2
    assert shuffle_partitions_for(0, 8) == 8


def test_shuffle_partitions_grow_with_the_input_in_whole_waves_of_about_128_mib_each():
    assert shuffle_partitions_for(4_100 * MIB, 2) == 34  # 100 M rows on this machine: 17 waves of 2
    assert shuffle_partitions_for(41 * 1024 * MIB, 64) == 384  # 1 B rows on 64 cores: 6 waves
    assert all(shuffle_partitions_for(size * MIB, 16) % 16 == 0 for size in (1, 500, 5_000, 50_000))
