CREATE TABLE "category_associations" (
	"from_category" text NOT NULL,
	"to_category" text NOT NULL,
	"count" integer NOT NULL,
	"support" double precision NOT NULL,
	"confidence" double precision NOT NULL,
	"lift" double precision NOT NULL,
	"baskets" integer NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "category_associations_pkey" PRIMARY KEY("from_category","to_category")
);
--> statement-breakpoint
CREATE INDEX "category_associations_lift_idx" ON "category_associations" USING btree ("from_category","lift");