# Summarizes a column of numbers that is already sorted (sort -n): prints
# "median min max n". The median of an even count is the mean of the middle two.
# Prints "- - - 0" for no numbers. Used by scripts/bench.
NF { v[n++] = $1 + 0 }
END {
    if (n == 0) { print "- - - 0"; exit }
    m = (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
    print m, v[0], v[n - 1], n
}
