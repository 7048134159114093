package grading

import (
	"context"
	"testing"

	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// Importing a key stores its 双向细目表 with it, in the same transaction.
func TestImportKeyStoresKnowledge(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	exam := reporttest.SeedSmallExam(t, db, "marking")
	ctx := context.Background()
	csv := "题号,答案,分值,题型,知识点,能力\n1,B,2,,数与代数,运算\n2,A,2,,图形,\n3,对,1,,图形,\n4,ACE,3,,,\n4,,,主观题,统计,推理\n"
	key, err := ParseKey("key.csv", []byte(csv), testItems)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ImportKey(ctx, db, exam.Subjects["math"], key, "test", "细目表"); err != nil {
		t.Fatal(err)
	}
	rows, err := store.ReportKnowledge(ctx, db.Pool, exam.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.KnowledgeRow{}
	for _, r := range rows {
		got[r.Item] = r
	}
	if len(rows) != 4 || got["1"].Knowledge[0] != "数与代数" || got["4"].Abilities[0] != "推理" || len(got["2"].Abilities) != 0 {
		t.Errorf("stored %+v", rows)
	}
}
