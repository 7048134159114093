package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TxOrPool is what both *pgxpool.Pool and pgx.Tx offer. The roster
// functions take it so the same query runs alone or inside the one
// transaction of an import, which must see its own uncommitted rows.
type TxOrPool interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// School is a school of the county roster, with its county.
type School struct {
	ID         int64
	CountyID   int64
	Code       string // county-issued, digits
	Name       string
	CountyCode string
	CountyName string
}

// UpsertCounty creates the county or renames it, and returns its id.
func UpsertCounty(ctx context.Context, q TxOrPool, code, name string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `
		INSERT INTO counties (code, name) VALUES ($1, $2)
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name
		RETURNING id`, code, name).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("save county %s %s: %w", code, name, err)
	}
	return id, nil
}

// UpsertSchool creates the school or updates its name and county, keyed by
// its code, and returns its id. Re-importing a schools file is harmless.
func UpsertSchool(ctx context.Context, q TxOrPool, countyID int64, code, name string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `
		INSERT INTO schools (county_id, code, name) VALUES ($1, $2, $3)
		ON CONFLICT (code) DO UPDATE SET county_id = EXCLUDED.county_id, name = EXCLUDED.name
		RETURNING id`, countyID, code, name).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("save school %s %s: %w", code, name, err)
	}
	return id, nil
}

// ListSchools returns every school ordered by code.
func ListSchools(ctx context.Context, q TxOrPool) ([]School, error) {
	rows, err := q.Query(ctx, `
		SELECT s.id, s.county_id, s.code, s.name, c.code, c.name
		FROM schools s JOIN counties c ON c.id = s.county_id
		ORDER BY s.code`)
	if err != nil {
		return nil, fmt.Errorf("list schools: %w", err)
	}
	schools, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (School, error) {
		var s School
		err := row.Scan(&s.ID, &s.CountyID, &s.Code, &s.Name, &s.CountyCode, &s.CountyName)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list schools: %w", err)
	}
	return schools, nil
}
