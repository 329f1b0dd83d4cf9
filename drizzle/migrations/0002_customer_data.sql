CREATE TABLE "aipl_history" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"from_stage" text,
	"to_stage" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consumable_compatibility" (
	"consumable_sku" text NOT NULL,
	"device_sku" text NOT NULL,
	CONSTRAINT "consumable_compatibility_pkey" PRIMARY KEY("consumable_sku","device_sku")
);
--> statement-breakpoint
CREATE TABLE "customer_merges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"survivor_id" uuid NOT NULL,
	"merged_id" uuid NOT NULL,
	"event_message_id" text,
	"moved" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"merged_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order_lines" (
	"order_id" uuid NOT NULL,
	"line_no" integer NOT NULL,
	"sku" text NOT NULL,
	"category" text NOT NULL,
	"quantity" integer DEFAULT 1 NOT NULL,
	"unit_price_cents" bigint,
	CONSTRAINT "order_lines_pkey" PRIMARY KEY("order_id","line_no")
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"external_id" text NOT NULL,
	"source" text DEFAULT 'unknown' NOT NULL,
	"status" text DEFAULT 'completed' NOT NULL,
	"currency" text,
	"total_cents" bigint,
	"ordered_at" timestamp with time zone NOT NULL,
	"event_id" uuid
);
--> statement-breakpoint
CREATE TABLE "product_categories" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"decision_window_days" integer
);
--> statement-breakpoint
CREATE TABLE "products" (
	"sku" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"category" text NOT NULL,
	"kind" text DEFAULT 'device' NOT NULL,
	"price_cents" bigint,
	"currency" text,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"rated_life_days" integer,
	"rated_usage" double precision,
	"usage_metric" text,
	"warranty_months" integer,
	CONSTRAINT "products_kind_check" CHECK ("products"."kind" in ('device','consumable','service'))
);
--> statement-breakpoint
CREATE TABLE "segment_members" (
	"segment_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"entered_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "segment_members_pkey" PRIMARY KEY("segment_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "segments" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"rule" jsonb NOT NULL,
	"evaluated_on_event" boolean DEFAULT false NOT NULL,
	"member_count" integer DEFAULT 0 NOT NULL,
	"refreshed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "telemetry_readings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owned_product_id" uuid NOT NULL,
	"metric" text NOT NULL,
	"value" double precision NOT NULL,
	"read_at" timestamp with time zone NOT NULL,
	"event_id" uuid
);
--> statement-breakpoint
ALTER TABLE "owned_products" ADD COLUMN "serial" text;--> statement-breakpoint
ALTER TABLE "owned_products" ADD COLUMN "order_id" uuid;--> statement-breakpoint
ALTER TABLE "owned_products" ADD COLUMN "created_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "aipl_history" ADD CONSTRAINT "aipl_history_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consumable_compatibility" ADD CONSTRAINT "consumable_compatibility_consumable_sku_products_sku_fk" FOREIGN KEY ("consumable_sku") REFERENCES "public"."products"("sku") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consumable_compatibility" ADD CONSTRAINT "consumable_compatibility_device_sku_products_sku_fk" FOREIGN KEY ("device_sku") REFERENCES "public"."products"("sku") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segment_members" ADD CONSTRAINT "segment_members_segment_id_segments_id_fk" FOREIGN KEY ("segment_id") REFERENCES "public"."segments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segment_members" ADD CONSTRAINT "segment_members_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "telemetry_readings" ADD CONSTRAINT "telemetry_readings_owned_product_id_owned_products_id_fk" FOREIGN KEY ("owned_product_id") REFERENCES "public"."owned_products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "aipl_history_customer_time_idx" ON "aipl_history" USING btree ("customer_id","at");--> statement-breakpoint
CREATE INDEX "aipl_history_time_idx" ON "aipl_history" USING btree ("at");--> statement-breakpoint
CREATE INDEX "consumable_compatibility_device_idx" ON "consumable_compatibility" USING btree ("device_sku");--> statement-breakpoint
CREATE UNIQUE INDEX "customer_merges_merged_key" ON "customer_merges" USING btree ("merged_id");--> statement-breakpoint
CREATE INDEX "customer_merges_survivor_idx" ON "customer_merges" USING btree ("survivor_id");--> statement-breakpoint
CREATE INDEX "order_lines_category_idx" ON "order_lines" USING btree ("category");--> statement-breakpoint
CREATE INDEX "order_lines_sku_idx" ON "order_lines" USING btree ("sku");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_source_external_key" ON "orders" USING btree ("source","external_id");--> statement-breakpoint
CREATE INDEX "orders_customer_time_idx" ON "orders" USING btree ("customer_id","ordered_at");--> statement-breakpoint
CREATE INDEX "products_category_idx" ON "products" USING btree ("category");--> statement-breakpoint
CREATE INDEX "segment_members_customer_idx" ON "segment_members" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "telemetry_readings_device_metric_time_idx" ON "telemetry_readings" USING btree ("owned_product_id","metric","read_at");--> statement-breakpoint
CREATE UNIQUE INDEX "owned_products_serial_key" ON "owned_products" USING btree ("serial");