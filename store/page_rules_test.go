package store

import (
	"slices"
	"testing"

	"github.com/saoyue/saoyue/reading"
)

func TestUnknownTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code  string
		known bool
		want  bool
	}{{"", false, false}, {"math-1", true, false}, {"english-1", false, true}}
	for _, tc := range tests {
		e := unknownTemplate(tc.code, tc.known)
		if (e != nil) != tc.want || e != nil && e.Kind != reading.ExcWrongTemplate {
			t.Errorf("unknownTemplate(%q, %v) = %+v", tc.code, tc.known, e)
		}
	}
}

func TestMayAttach(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		r     PageRead
		known bool
		want  bool
	}{
		{"front with a number", PageRead{HasIdentity: true, ExamNo: "2101020305"}, true, true},
		{"unknown template", PageRead{HasIdentity: true, ExamNo: "2101020305"}, false, false},
		{"front without a number", PageRead{HasIdentity: true}, true, false},
		{"back side", PageRead{}, true, false},
	}
	for _, tc := range tests {
		if got := mayAttach(&tc.r, tc.known); got != tc.want {
			t.Errorf("%s: mayAttach = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCardsTouched(t *testing.T) {
	t.Parallel()
	c := func(id int64) *int64 { return &id }
	tests := []struct {
		name          string
		attached, had *int64
		linked        []linkedPage
		wantCard      *int64
		wantCards     []int64
	}{
		{"nothing", nil, nil, nil, nil, nil},
		{"joined by number", c(7), nil, nil, c(7), []int64{7}},
		{"read again keeps its card", nil, c(7), nil, c(7), []int64{7}},
		{"back side linked", nil, nil, []linkedPage{{page: 1, card: 9}}, c(9), []int64{9}},
		{"front links its back: one card once", c(9), nil, []linkedPage{{page: 2, card: 9}}, c(9), []int64{9}},
		{"front links another card's back", c(9), nil, []linkedPage{{page: 2, card: 9}, {page: 4, card: 11}}, c(9), []int64{9, 11}},
	}
	for _, tc := range tests {
		card, cards := cardsTouched(1, tc.attached, tc.had, tc.linked)
		if (card == nil) != (tc.wantCard == nil) || card != nil && *card != *tc.wantCard || !slices.Equal(cards, tc.wantCards) {
			t.Errorf("%s: got %v %v, want %v %v", tc.name, card, cards, tc.wantCard, tc.wantCards)
		}
	}
}

func TestPageExceptions(t *testing.T) {
	t.Parallel()
	card, other := int64(5), int64(6)
	in := []Exception{{Kind: reading.ExcDoubtful, ItemNo: "3"}, {Kind: reading.ExcDuplicate}, {Kind: reading.ExcMissingPage, CardID: &other}}
	out := pageExceptions(in, 1, 2, &card)
	for i, e := range out {
		if *e.BatchID != 1 || *e.PageID != 2 {
			t.Errorf("%s: batch %v page %v", e.Kind, e.BatchID, e.PageID)
		}
		if in[i].BatchID != nil {
			t.Errorf("%s: the argument changed", e.Kind)
		}
	}
	if *out[0].CardID != card || out[1].CardID != nil || *out[2].CardID != other {
		t.Errorf("cards: %v %v %v", out[0].CardID, out[1].CardID, out[2].CardID)
	}
	if out := pageExceptions(in[:1], 1, 2, nil); out[0].CardID != nil {
		t.Errorf("a page without a card put its exception on card %v", *out[0].CardID)
	}
}
