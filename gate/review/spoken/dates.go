package spoken

import (
	"fmt"
	"time"
)

// Date is a calendar date read from text. Year is 0 when the text gave no
// year.
type Date struct {
	Year, Month, Day int
}

// String writes the date as YYYY-MM-DD, or --MM-DD without a year.
func (d Date) String() string {
	if d.Year == 0 {
		return fmt.Sprintf("--%02d-%02d", d.Month, d.Day)
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Full reports whether the date has a year.
func (d Date) Full() bool { return d.Year != 0 }

// SameDay reports whether d and o name the same month and day.
func (d Date) SameDay(o Date) bool { return d.Month == o.Month && d.Day == o.Day }

var monthNames = map[string]int{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
	"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
	"sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}

var ordinalUnits = map[string]int{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
	"eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
	"fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
	"nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}

// Ordinal returns the number an ordinal word names ("fifth" → 5), or 0.
func Ordinal(w string) int { return ordinalUnits[w] }

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y == 0 || (y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func valid(d Date) bool {
	if d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > daysIn(d.Month, d.Year) {
		return false
	}
	return d.Year == 0 || (d.Year >= 1875 && d.Year <= 2150)
}

// pivot turns a two-digit year into a full one: years not after this year's
// last two digits are this century, the rest the last. Dates of birth are
// in the past, so "eighty" is 1980 and "oh five" 2005.
func pivot(yy int) int {
	now := time.Now().Year()
	if 2000+yy > now {
		return 1900 + yy
	}
	return 2000 + yy
}

// Dates returns the dates in text, in order of appearance, without
// duplicates. It reads month names ("March 14, 1980", "the fourteenth of
// march nineteen eighty", "14 March 80") and runs of digits, spoken or
// written, read as month-day-year, or year-month-day for eight digits that
// start with a plausible year ("3/14/1980", "three fourteen eighty",
// "oh three one four one nine eight oh", "1980-03-14"). A run of digits may
// give more than one reading; each valid one is returned.
func Dates(text string) []Date {
	w := Words(text)
	var out []Date
	add := func(d Date) {
		if !valid(d) {
			return
		}
		for _, o := range out {
			if o == d {
				return
			}
		}
		out = append(out, d)
	}
	used := make([]bool, len(w))
	for i := 0; i < len(w); i++ {
		m, ok := monthNames[w[i]]
		if !ok {
			continue
		}
		// Month first: "march 14", "march the fourteenth"; but "the second
		// of december" names its day first.
		k := i + 1
		if k < len(w) && w[k] == "the" {
			k++
		}
		day, end := 0, k
		if i == 0 || w[i-1] != "of" {
			day, end = dayAt(w, k)
		}
		if day == 0 {
			// Day first: "14 march", "the fourteenth of march".
			k = i - 1
			if k >= 0 && w[k] == "of" {
				k--
			}
			if d, start := dayBefore(w, k); d > 0 {
				day = d
				for x := start; x < i; x++ {
					used[x] = true
				}
			}
			end = i + 1
		} else if m == 5 && i > 0 && !dateCue(w, i) {
			// "may" is also a verb: take it as a month only near a date cue
			// or with a year after it.
			if _, _, ok := yearAt(w, end); !ok {
				continue
			}
		}
		if day == 0 {
			continue
		}
		k = end
		if k < len(w) && (w[k] == "of" || w[k] == "in") {
			k++
		}
		year := 0
		if y, e, ok := yearAt(w, k); ok {
			year, end = y, e
		}
		for x := i; x < end; x++ {
			used[x] = true
		}
		add(Date{Year: year, Month: m, Day: day})
	}
	for _, n := range Numbers(w) {
		if used[n.Start] {
			continue
		}
		for _, d := range runDates(n) {
			add(d)
		}
	}
	return out
}

// runDates reads a number run as a date. Runs spoken in groups ("three
// fourteen nineteen eighty", "12/1/80") are read group by group as
// month, day and year (or year, month, day after a four-digit year); runs
// spoken digit by digit, or written as one string of digits, are read by
// digitDates.
func runDates(n Number) []Date {
	gs := n.Groups
	singles := true
	for _, g := range gs {
		if len(g.Digits) != 1 {
			singles = false
			break
		}
	}
	if singles || len(gs) == 1 {
		return digitDates(n.Digits)
	}
	if len(gs) >= 3 {
		if len(gs) == 3 && gs[0].Written && len(gs[0].Digits) == 4 {
			d := Date{Year: gs[0].Value, Month: gs[1].Value, Day: gs[2].Value}
			if valid(d) {
				return []Date{d}
			}
		}
		if y, ok := groupYear(gs[2:]); ok {
			d := Date{Year: y, Month: gs[0].Value, Day: gs[1].Value}
			if valid(d) {
				return []Date{d}
			}
		}
	}
	return digitDates(n.Digits)
}

// groupYear reads the groups that end a spoken date as a year.
func groupYear(gs []Group) (int, bool) {
	switch len(gs) {
	case 1:
		switch len(gs[0].Digits) {
		case 4:
			return gs[0].Value, true
		case 2:
			return pivot(gs[0].Value), true
		}
	case 2: // "nineteen eighty"
		if gs[0].Value >= 10 && gs[0].Value <= 99 && gs[1].Value >= 10 && gs[1].Value <= 99 {
			return gs[0].Value*100 + gs[1].Value, true
		}
		if gs[0].Value == 0 && len(gs[1].Digits) == 1 { // "oh five"
			return pivot(gs[1].Value), true
		}
	case 3: // "nineteen oh five"
		if gs[0].Value >= 10 && gs[0].Value <= 99 && gs[1].Value == 0 && len(gs[2].Digits) == 1 {
			return gs[0].Value*100 + gs[2].Value, true
		}
	}
	return 0, false
}

// dateCue reports whether a word near i suggests a date.
func dateCue(w []string, i int) bool {
	for k := max(0, i-4); k < i; k++ {
		switch w[k] {
		case "born", "birth", "birthday", "dob", "date", "on", "since", "until", "from", "is", "was":
			return true
		}
	}
	return false
}

// dayAt reads a day of the month at w[k]: "14", "fourteenth", "fourteen",
// "twenty first", "twenty one".
func dayAt(w []string, k int) (int, int) {
	if k >= len(w) {
		return 0, k
	}
	if isDigits(w[k]) && len(w[k]) <= 2 {
		if v := atoi(w[k]); v >= 1 && v <= 31 {
			return v, k + 1
		}
		return 0, k
	}
	if v, ok := ordinalUnits[w[k]]; ok {
		return v, k + 1
	}
	if t, ok := tens[w[k]]; ok && t <= 30 && k+1 < len(w) {
		if u, ok := ordinalUnits[w[k+1]]; ok && u <= 9 {
			return t + u, k + 2
		}
	}
	if v, next, ok := belowHundred(w, k); ok && v >= 1 && v <= 31 {
		// A cardinal day is not the start of a spoken year ("march nineteen
		// eighty" is a month and a year).
		if v >= 19 && next < len(w) {
			if _, ok := tens[w[next]]; ok {
				return 0, k
			}
		}
		return v, next
	}
	return 0, k
}

// dayBefore reads a day that ends at w[k], for "14 march" and "the
// fourteenth of march"; it returns the day and its first index.
func dayBefore(w []string, k int) (int, int) {
	if k < 0 {
		return 0, k
	}
	if k >= 1 {
		if d, e := dayAt(w, k-1); d > 0 && e == k+1 {
			return d, k - 1
		}
	}
	if d, e := dayAt(w, k); d > 0 && e == k+1 {
		return d, k
	}
	return 0, k
}

// yearAt reads a year at w[k]: "1980", "80", "nineteen eighty", "nineteen
// eighty five", "nineteen oh five", "two thousand five", "twenty twenty",
// "eighty".
func yearAt(w []string, k int) (int, int, bool) {
	if k >= len(w) {
		return 0, k, false
	}
	if isDigits(w[k]) {
		switch len(w[k]) {
		case 4:
			return atoi(w[k]), k + 1, true
		case 2:
			return pivot(atoi(w[k])), k + 1, true
		}
		return 0, k, false
	}
	// "two thousand [and] five"
	if v, next, ok := cardinal(w, k); ok && v >= 1000 {
		return v, next, true
	}
	century, next, ok := belowHundred(w, k)
	if !ok {
		return 0, k, false
	}
	if century >= 10 && next < len(w) {
		// "nineteen eighty", "twenty twenty", "nineteen oh five"
		if weakZero(w[next]) || w[next] == "zero" {
			if u, ok := units[safe(w, next+1)]; ok {
				return century*100 + u, next + 2, true
			}
		}
		if yy, e, ok := belowHundred(w, next); ok && yy >= 10 {
			return century*100 + yy, e, true
		}
		if w[next] == "hundred" {
			return century * 100, next + 1, true
		}
	}
	if century >= 10 {
		return pivot(century), next, true // "eighty"
	}
	return 0, k, false
}

func safe(w []string, i int) string {
	if i < 0 || i >= len(w) {
		return ""
	}
	return w[i]
}

// digitDates reads a run of 5 to 8 digits as a date in every way that gives
// a valid one.
func digitDates(s string) []Date {
	n := len(s)
	if n < 5 || n > 8 {
		return nil
	}
	var out []Date
	try := func(m, d, y string) {
		year := atoi(y)
		if len(y) == 2 {
			year = pivot(year)
		}
		dt := Date{Year: year, Month: atoi(m), Day: atoi(d)}
		if valid(dt) {
			out = append(out, dt)
		}
	}
	if n == 8 && (s[:2] == "19" || s[:2] == "20") {
		try(s[4:6], s[6:8], s[:4])
	}
	for _, ml := range []int{1, 2} {
		for _, dl := range []int{1, 2} {
			yl := n - ml - dl
			if yl != 2 && yl != 4 {
				continue
			}
			try(s[:ml], s[ml:ml+dl], s[ml+dl:])
		}
	}
	return out
}

// ParseDate reads one date from a written value ("1980-03-14",
// "03/14/1980", "March 14, 1980", "1980-03-14T00:00:00Z"). It fails when
// the value holds no date or more than one reading.
func ParseDate(value string) (Date, bool) {
	if len(value) >= 10 {
		if t, err := time.Parse("2006-01-02", value[:10]); err == nil {
			return Date{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}, true
		}
	}
	ds := Dates(value)
	if len(ds) != 1 {
		return Date{}, false
	}
	return ds[0], true
}
