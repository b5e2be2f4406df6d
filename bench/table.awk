# Formats bench/run.sh's rows (tab-separated: bench, figure, value, baseline, unit,
# goal) as the final table, or with -v json=1 as the merged JSON. The ratio is
# value / baseline; a goal is "<=X", ">=X" or "-".

function ratio(v, b) { return b > 0 ? v / b : 0 }

# 1 when the goal is met, 0 when not, -1 when the row has none.
function met(r, goal) {
    if (goal ~ /^<=/) return r <= substr(goal, 3) + 0
    if (goal ~ /^>=/) return r >= substr(goal, 3) + 0
    return -1
}

# Times above a microsecond read better in microseconds; rates as plain counts.
function show(x, unit, micro) {
    if (unit == "calls/s") return sprintf("%.0f /s", x)
    return micro ? sprintf("%.2f us", x / 1000) : sprintf("%.2f ns", x)
}

BEGIN { n = 0 }

{ bench[++n] = $1; figure[n] = $2; value[n] = $3; base[n] = $4; unit[n] = $5; goal[n] = $6 }

END {
    if (json) print_json(); else print_table()
}

function print_table(   i, r, m, micro, last) {
    printf "%-48s %13s %13s %7s %6s %s\n", "figure", "value", "baseline", "ratio", "goal", "met"
    for (i = 1; i <= n; i++) {
        if (bench[i] != last) printf "-- %s\n", bench[i]
        last = bench[i]
        r = ratio(value[i], base[i])
        m = met(r, goal[i])
        micro = value[i] >= 1000 || base[i] >= 1000
        printf "%-48s %13s %13s %7.2f %6s %s\n", figure[i], show(value[i], unit[i], micro),
               show(base[i], unit[i], micro), r, goal[i], (m < 0 ? "" : (m ? "yes" : "NO"))
    }
}

function print_json(   i, r, m) {
    print "["
    for (i = 1; i <= n; i++) {
        r = ratio(value[i], base[i])
        m = met(r, goal[i])
        printf "  {\"bench\": \"%s\", \"figure\": \"%s\", \"value\": %.3f, \"baseline\": %.3f, " \
               "\"unit\": \"%s\", \"ratio\": %.4f, \"goal\": %s, \"meets_goal\": %s}%s\n",
               bench[i], figure[i], value[i], base[i], unit[i], r,
               (goal[i] == "-" ? "null" : "\"" goal[i] "\""),
               (m < 0 ? "null" : (m ? "true" : "false")), (i < n ? "," : "")
    }
    print "]"
}
