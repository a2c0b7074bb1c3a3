-- The default dataset's loan book by calendar year: completed flows converted to USD at
-- the month's average rate, the outstanding book (disbursed less principal repaid), and
-- interest and principal received as annualised shares of the year's average book.
with

completed as (

    select
        transactions.transaction_type,
        date_trunc('month', transactions.transaction_at) as month_start,
        transactions.amount / rates.indicator_value as amount_usd
    from transactions
    inner join economic_indicators as rates
        on transactions.country_code = rates.country_code
        and rates.indicator_code = 'exchange_rate'
        and rates.reference_month = date_trunc('month', transactions.transaction_at)
    where transactions.status = 'completed'

),

months as (

    select
        month_start,
        coalesce(sum(amount_usd) filter (where transaction_type = 'disbursement'), 0)
            as disbursed_usd,
        coalesce(sum(amount_usd) filter (where transaction_type = 'repayment'), 0)
            as repaid_usd,
        coalesce(sum(amount_usd) filter (where transaction_type = 'interest_payment'), 0)
            as interest_usd
    from completed
    group by month_start

),

book as (

    select
        *,
        sum(disbursed_usd - repaid_usd) over (order by month_start) as closing_usd,
        sum(disbursed_usd - repaid_usd) over (order by month_start)
        - (disbursed_usd - repaid_usd) as opening_usd
    from months

)

select
    year(month_start) as calendar_year,
    sum(disbursed_usd) as disbursed_usd,
    arg_max(closing_usd, month_start) as closing_book_usd,
    sum(interest_usd) / avg((opening_usd + closing_usd) / 2) * 12 / count(*)
        as interest_yield,
    sum(repaid_usd) / avg((opening_usd + closing_usd) / 2) * 12 / count(*) as repaid_share
from book
group by calendar_year
order by calendar_year
